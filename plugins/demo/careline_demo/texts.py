"""The phrase book the simulated customers write from: openings per language and topic, moods,
personal data, and the special cases (thanks, spam, legal threats, the press, influencers).

Every sentence was written for the careline demo; placeholders in braces are filled by
:mod:`careline_demo.traffic` (``{order}``, ``{days}``, ``{product}``, ``{email}``, ``{phone}``).
"""

from __future__ import annotations

TOPICS = ("order", "billing", "technical", "account", "inquiry", "feedback", "praise")

PRODUCTS = ("Acme Router X2", "Acme Buds", "Acme Smart Plug", "Acme Kettle Pro", "Acme Cam 360")

OPENINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "order": (
            "my order {order} still hasn't arrived after {days} days.",
            "the tracking for {order} hasn't moved since Monday, where is my parcel?",
            "the courier says my package was delivered but there is nothing here. Order {order}.",
            "I got the wrong item in order {order}, I ordered the {product}.",
        ),
        "billing": (
            "I was charged twice for order {order}, can I get a refund?",
            "why is my invoice higher this month? Nobody told me about a new fee.",
            "I cancelled my subscription but you billed me again.",
            "still waiting for the refund for {order}, it's been {days} days.",
        ),
        "technical": (
            "my {product} keeps crashing since the update.",
            "the app won't load, just an error screen every time.",
            "is there an outage? My {product} has not been working all morning.",
            "the {product} drops the connection every few minutes, what's going on?",
        ),
        "account": (
            "I'm locked out of my account and the verification code never arrives.",
            "I can't log in since yesterday, password reset does nothing.",
            "I think my account was hacked, there's an order I didn't place.",
        ),
        "inquiry": (
            "do you ship the {product} to Ireland?",
            "is it possible to change the delivery address on {order}?",
            "when will the {product} be back in stock?",
            "how do I return an item I bought in a shop?",
        ),
        "feedback": (
            "would be great if the {product} had a dark mode in the app.",
            "please add a way to pick a delivery slot, I'm never home at 11.",
            "suggestion: let us pause a subscription instead of cancelling.",
        ),
        "praise": (
            "great job on the new {product}, setup took two minutes!",
            "the courier was lovely today, great service as always.",
            "well done on the fast replacement for my {product}, really impressed.",
        ),
    },
    "de": {
        "order": (
            "meine Bestellung {order} ist nach {days} Tagen immer noch nicht da.",
            "laut Sendungsverfolgung wurde mein Paket zugestellt, aber hier ist nichts. {order}",
            "ich habe den falschen Artikel bekommen, bestellt war der {product}.",
        ),
        "billing": (
            "mir wurde die Bestellung {order} doppelt abgebucht. Bitte um Erstattung.",
            "warum ist meine Rechnung diesen Monat höher? Von einer neuen Gebühr wusste ich nichts.",
            "ich habe mein Abo gekündigt und trotzdem wurde wieder abgebucht.",
        ),
        "technical": (
            "mein {product} funktioniert nicht mehr seit dem Update.",
            "die App stürzt ab, sobald ich sie öffne. Fehler 503.",
            "gibt es eine Störung? Mein {product} geht nicht.",
        ),
        "account": (
            "mein Konto ist gesperrt und ich kann mich nicht anmelden.",
            "das Passwort zurücksetzen geht nicht, ich komme nicht in mein Konto.",
        ),
        "inquiry": (
            "liefert ihr den {product} auch nach Österreich?",
            "kann ich die Lieferadresse für {order} noch ändern?",
        ),
        "feedback": (
            "wäre toll, wenn man in der App einen Liefertermin wählen könnte.",
            "Vorschlag: bitte eine Pause-Funktion für das Abo einbauen.",
        ),
        "praise": (
            "super Service heute, der {product} wurde sofort ersetzt. Klasse!",
            "vielen Dank für die schnelle Hilfe gestern, toll gemacht.",
        ),
    },
    "fr": {
        "order": (
            "ma commande {order} n'est toujours pas arrivée après {days} jours.",
            "le suivi indique que le colis est livré mais je n'ai rien reçu. Commande {order}.",
            "j'ai reçu le mauvais article, j'avais commandé le {product}.",
        ),
        "billing": (
            "j'ai été débité deux fois pour la commande {order}, je veux un remboursement.",
            "pourquoi ma facture a augmenté ce mois-ci ? Quels sont ces frais ?",
        ),
        "technical": (
            "mon {product} ne fonctionne pas depuis la mise à jour.",
            "l'application plante à chaque ouverture, message d'erreur.",
            "il y a une panne ? Mon {product} marche plus depuis ce matin.",
        ),
        "account": (
            "mon compte est bloqué et je ne reçois pas le code de connexion.",
            "impossible de changer mon mot de passe, mon compte est bloqué.",
        ),
        "inquiry": (
            "est-ce que vous livrez le {product} en Belgique ?",
            "quand le {product} sera-t-il de nouveau disponible ?",
        ),
        "feedback": ("ce serait bien de pouvoir choisir le créneau de livraison.",),
        "praise": ("bravo pour le service client, problème réglé en cinq minutes. Génial !",),
    },
    "es": {
        "order": (
            "mi pedido {order} no ha llegado después de {days} días.",
            "el seguimiento dice que el paquete fue entregado pero no tengo nada. Pedido {order}.",
        ),
        "billing": (
            "me cobraron dos veces el pedido {order}, quiero un reembolso.",
            "¿por qué mi factura es más alta este mes? Nadie me avisó de una nueva tarifa.",
        ),
        "technical": (
            "mi {product} no funciona desde la actualización.",
            "la aplicación da error cada vez que la abro.",
        ),
        "account": ("no puedo iniciar sesión, mi cuenta está bloqueada.",),
        "inquiry": (
            "¿envían el {product} a Portugal?",
            "¿cuándo vuelve a estar disponible el {product}?",
        ),
        "feedback": ("sería genial poder elegir la hora de entrega en la aplicación.",),
        "praise": ("muchas gracias por la ayuda de ayer, servicio excelente.",),
    },
    "nl": {
        "order": (
            "mijn bestelling {order} is na {days} dagen nog steeds niet geleverd.",
            "volgens de track & trace is mijn pakket bezorgd, maar er is niets. {order}",
        ),
        "billing": (
            "er is twee keer afgeschreven voor bestelling {order}, graag geld terug.",
            "waarom is mijn factuur deze maand hoger? Welke kosten zijn dit?",
        ),
        "technical": (
            "mijn {product} werkt niet meer sinds de update.",
            "de app geeft steeds een foutmelding, is er een storing?",
        ),
        "account": ("ik kan niet inloggen, mijn account is geblokkeerd.",),
        "inquiry": ("leveren jullie de {product} ook in België?",),
        "feedback": ("zou fijn zijn als ik zelf een bezorgmoment kan kiezen in de app.",),
        "praise": ("top service vandaag, de {product} is meteen vervangen. Geweldig!",),
    },
}

GREETINGS: dict[str, tuple[str, ...]] = {
    "en": ("Hi,", "Hello,", "Hey,", ""),
    "de": ("Hallo,", "Guten Tag,", ""),
    "fr": ("Bonjour,", "Salut,", ""),
    "es": ("Hola,", "Buenas,", ""),
    "nl": ("Hoi,", "Hallo,", ""),
}

MOODS = ("calm", "impatient", "angry", "happy")

MOOD_CLOSERS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "calm": ("Thanks in advance.", "Could you help?", ""),
        "impatient": ("Any update?", "This is the second time I ask.", "Still waiting..."),
        "angry": (
            "Absolutely unacceptable 😡",
            "Worst service ever, fed up with this.",
            "Terrible. Never again.",
        ),
        "happy": ("🙌", "Keep it up!", ""),
    },
    "de": {
        "calm": ("Danke im Voraus.", "Könnt ihr helfen?", ""),
        "impatient": ("Gibt es schon was Neues?", "Ich frage jetzt zum zweiten Mal."),
        "angry": ("Echt eine Frechheit 😡", "Total enttäuscht."),
        "happy": ("👏", ""),
    },
    "fr": {
        "calm": ("Merci d'avance.", "Vous pouvez m'aider ?", ""),
        "impatient": ("Des nouvelles ?", "Je relance pour la deuxième fois."),
        "angry": ("C'est inadmissible 😡", "Franchement scandaleux."),
        "happy": ("👏", ""),
    },
    "es": {
        "calm": ("Gracias de antemano.", "¿Me pueden ayudar?", ""),
        "impatient": ("¿Alguna novedad?", "Es la segunda vez que pregunto."),
        "angry": ("Es inaceptable 😡", "Un servicio pésimo."),
        "happy": ("🙌", ""),
    },
    "nl": {
        "calm": ("Alvast bedankt.", "Kunnen jullie helpen?", ""),
        "impatient": ("Al nieuws?", "Ik vraag het nu voor de tweede keer."),
        "angry": ("Echt schandalig 😡", "Waardeloos, ik ben het zat."),
        "happy": ("👏", ""),
    },
}

PERSONAL_DATA: dict[str, dict[str, str]] = {
    "en": {"email": "My email is {email}, please reply there.", "phone": "Call me on {phone}."},
    "de": {"email": "Meine E-Mail: {email}", "phone": "Ruft mich an: {phone}"},
    "fr": {"email": "Mon e-mail : {email}", "phone": "Appelez-moi au {phone}."},
    "es": {"email": "Mi correo es {email}", "phone": "Llamadme al {phone}."},
    "nl": {"email": "Mijn e-mail is {email}", "phone": "Bel me op {phone}."},
}

FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "en": ("Any news on this?", "Hello? Still no answer.", "I sent the details, what now?"),
    "de": ("Gibt es dazu etwas Neues?", "Hallo? Immer noch keine Antwort."),
    "fr": ("Du nouveau ?", "Toujours pas de réponse..."),
    "es": ("¿Hay novedades?", "¿Hola? Sigo sin respuesta."),
    "nl": ("Al iets bekend?", "Hallo? Nog steeds geen antwoord."),
}

THANKS: dict[str, tuple[str, ...]] = {
    "en": ("Thanks!", "thank you so much!!", "Thank you 🙏", "thx"),
    "de": ("Danke!", "Vielen Dank!"),
    "fr": ("Merci !", "Merci beaucoup"),
    "es": ("¡Gracias!",),
    "nl": ("Bedankt!", "Dank je wel"),
}

SPAM = (
    "Make money from home with crypto 🚀 click here: bit.ly/x9crypto",
    "follow back for free followers!! check out my page",
    "Earn $500 a day with bitcoin, work from home, DM me",
)

LEGAL_THREATS = (
    "This is the third time {order} went missing. My lawyer will be in touch, see you in court.",
    "You charged me for a {product} I never received. I'm taking legal action if this isn't "
    "fixed by Friday.",
    "I've had enough. I'm going to sue, my solicitor already has the paperwork for {order}.",
)

PRESS = (
    "I'm a reporter at the Daily Ledger writing a story about {product} faults. Could your press "
    "office give a comment?",
    "Journalist here, working on a story about late deliveries this winter. Request for comment?",
)

INFLUENCER = (
    "Honestly disappointed with my {product}, it stopped working after a week. Terrible. "
    "Not recommending this to my followers 👎",
    "Third broken {product} in a month?! Awful quality, I'm done with this brand 😡",
)

MANAGER = (
    "Nobody is helping me with {order}. I want to speak to a manager.",
    "Your staff was very rude on the phone today. Put me through to a supervisor please.",
)

LISTENING = (
    "Anyone else's {product} acting up today? Mine keeps disconnecting",
    "Thinking about getting the {product}, is it any good?",
    "Acme delivery took {days} days again. Not impressed",
)

RETWEETS = (
    "Big news: the {product} is back in stock today!",
    "Winter sale starts now, 20% off the {product}.",
)

BRAND_POSTS = (
    "Questions about your order? Ask us here, we answer 7 days a week.",
    "New in: the {product}. Tell us what you think!",
)
