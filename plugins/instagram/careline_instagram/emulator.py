"""The Instagram emulator: a professional account with media, comments, mentions and Direct.

Built on the Facebook plugin's emulator machinery (tokens, scripted failures, usage headers,
signed webhook deliveries, Messenger-style private messaging with Meta's windows). It speaks::

    GET  /{v}/{ig-user-id}?fields=mentioned_comment.comment_id(X){…}   mention text
    GET  /{v}/{ig-user-id}?fields=mentioned_media.media_id(X){…}       caption mention
    GET  /{v}/{ig-user-id}/media        the account's media with comments{…,replies{…}}
    GET  /{v}/{media-id}/comments       top-level comments, paged
    GET  /{v}/{comment-id}/replies      replies, paged
    POST /{v}/{comment-id}/replies      public reply (a reply to a reply joins the top comment)
    POST /{v}/{comment-id}?hide=true    hide a comment
    POST /{v}/{ig-user-id}/mentions     answer a mention where it was made
    POST /{v}/{ig-user-id}/messages     Direct message / private reply (24 h, HUMAN_AGENT 7 d)
    GET  /{v}/{ig-user-id}/conversations?platform=instagram, GET /{v}/{thread}/messages

Simulated people act through ``POST /_emulator/customer/{comment,mention,message,
story_mention,unsend}``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from careline_facebook.commands import EmulatorSetup
from careline_facebook.emulator.core import (
    MetaEmulatorState,
    edge_modifier,
    invalid_parameter,
    not_found,
    paged,
    required_text,
)
from careline_facebook.emulator.http import ControlAction, GraphCall, control_routes, graph_routes
from careline_facebook.emulator.messaging import CommentRef, PrivateMessage, PrivateMessaging
from careline_facebook.payload import to_graph_time
from starlette.applications import Starlette

DEFAULT_IG_USER_ID = "17841400008460056"
DIRECT_MAX_LENGTH = 1000
COMMENT_MAX_LENGTH = 2200


@dataclass
class Person:
    """Someone on Instagram; the IGSID identifies them in comments and in Direct."""

    username: str
    igsid: str


@dataclass
class Media:
    """A post (the brand's own, or someone else's that mentions the brand)."""

    id: str
    owner: str
    caption: str
    created: datetime


@dataclass
class IgComment:
    """A comment or a reply (``parent_id`` set) on a media."""

    id: str
    media_id: str
    author: str
    text: str
    created: datetime
    parent_id: str | None = None
    hidden: bool = False
    private_replied: bool = False


class InstagramEmulatorState(MetaEmulatorState):
    """The simulated account, its audience, media, comments, mentions and Direct threads."""

    webhook_object = "instagram"
    channel_name = "instagram"

    def __init__(
        self,
        *,
        ig_user_id: str = DEFAULT_IG_USER_ID,
        username: str = "acme.care",
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.ig_user_id = ig_user_id
        self.username = username
        self.people: dict[str, Person] = {}
        self.media: dict[str, Media] = {}
        self.comments: dict[str, IgComment] = {}
        self._media_numbers = itertools.count(17887498072083520, 7907)
        self._comment_numbers = itertools.count(17865799348089039, 104723)
        self._people_numbers = itertools.count(1234567890123456, 1299721)
        self.messaging = PrivateMessaging(
            self,
            max_length=DIRECT_MAX_LENGTH,
            comment_lookup=self._comment_ref,
            mark_replied=self._mark_replied,
            profile=self._profile,
            require_messaging_type=False,
        )
        self.token = self.issue_token(ig_user_id)

    # --- people and objects ------------------------------------------------------------------
    def person(self, username: str) -> Person:
        """The person with ``username`` or IGSID (created on first mention of a new name)."""
        with self.lock:
            for person in self.people.values():
                if username in (person.username, person.igsid):
                    return person
            person = Person(username=username, igsid=str(next(self._people_numbers)))
            self.people[person.igsid] = person
            return person

    def _profile(self, igsid: str) -> dict[str, Any]:
        if igsid == self.ig_user_id:
            return {"id": self.ig_user_id, "username": self.username}
        return {"id": igsid, "username": self.people[igsid].username}

    def _username(self, igsid: str) -> str:
        return str(self._profile(igsid)["username"])

    def publish(self, caption: str, *, owner: str | None = None) -> Media:
        """A new post by the brand (or by ``owner``)."""
        with self.lock:
            media = Media(
                id=str(next(self._media_numbers)),
                owner=owner or self.ig_user_id,
                caption=caption,
                created=self.now(),
            )
            self.media[media.id] = media
            return media

    def latest_media(self) -> Media:
        """The brand's newest post (a first one is published when there is none)."""
        with self.lock:
            own = [m for m in self.media.values() if m.owner == self.ig_user_id]
        return max(own, key=lambda m: m.created) if own else self.publish("New collection is in!")

    # --- what people do ----------------------------------------------------------------------
    def customer_comment(
        self,
        person: Person,
        text: str,
        *,
        media_id: str | None = None,
        reply_to: str | None = None,
    ) -> IgComment:
        """A comment on the brand's media (the newest by default) or a reply to a comment."""
        media = self.media[media_id] if media_id else None
        return self._comment(person.igsid, text, media=media, reply_to=reply_to)

    def _comment(
        self,
        author: str,
        text: str,
        *,
        media: Media | None,
        reply_to: str | None,
        deliver: bool = True,
    ) -> IgComment:
        with self.lock:
            parent: IgComment | None = None
            if reply_to is not None:
                target = self.comments.get(reply_to)
                if target is None:
                    raise not_found(reply_to, "post")
                # Instagram nests one level: a reply to a reply joins the top-level comment.
                parent = self.comments[target.parent_id] if target.parent_id else target
                media = self.media[parent.media_id]
            media = media or self.latest_media()
            comment = IgComment(
                id=str(next(self._comment_numbers)),
                media_id=media.id,
                author=author,
                text=text,
                created=self.now(),
                parent_id=parent.id if parent else None,
            )
            self.comments[comment.id] = comment
            if deliver and media.owner == self.ig_user_id:
                value: dict[str, Any] = {
                    "from": {"id": author, "username": self._username(author)},
                    "media": {"id": media.id, "media_product_type": "FEED"},
                    "id": comment.id,
                    "text": text,
                }
                if comment.parent_id:
                    value["parent_id"] = comment.parent_id
                self.queue_delivery(
                    self.ig_user_id, changes=[{"field": "comments", "value": value}]
                )
        self.flush_deliveries()
        return comment

    def customer_mention(
        self, person: Person, text: str, *, in_caption: bool = False
    ) -> dict[str, str]:
        """``person`` mentions the brand in a caption of their own or in a comment on it."""
        media = self.publish(text if in_caption else "Weekend haul", owner=person.igsid)
        value: dict[str, str] = {"media_id": media.id}
        if not in_caption:
            comment = self._comment(person.igsid, text, media=media, reply_to=None, deliver=False)
            value["comment_id"] = comment.id
        self.queue_delivery(self.ig_user_id, changes=[{"field": "mentions", "value": value}])
        self.flush_deliveries()
        return value

    def customer_message(
        self, person: Person, text: str, *, image_url: str | None = None
    ) -> PrivateMessage:
        """``person`` writes to the brand in Direct."""
        attachments = [{"type": "image", "payload": {"url": image_url}}] if image_url else []
        return self.messaging.customer_writes(
            self.ig_user_id, person.igsid, text, attachments=attachments
        )

    def customer_story_mention(self, person: Person, story_url: str) -> PrivateMessage:
        """``person`` mentions the brand in their story: a Direct message that opens the window."""
        attachments = [{"type": "story_mention", "payload": {"url": story_url}}]
        return self.messaging.customer_writes(
            self.ig_user_id, person.igsid, "", attachments=attachments
        )

    def customer_unsends(self, person: Person, mid: str) -> None:
        """``person`` deletes a Direct message they sent."""
        with self.lock:
            event = {
                "sender": {"id": person.igsid},
                "recipient": {"id": self.ig_user_id},
                "timestamp": int(self.now().timestamp() * 1000),
                "message": {"mid": mid, "is_deleted": True},
            }
            self.queue_delivery(self.ig_user_id, messaging=[event])
        self.flush_deliveries()

    # --- private replies ---------------------------------------------------------------------
    def _comment_ref(self, account: str, comment_id: str) -> CommentRef:
        comment = self.comments.get(comment_id)
        if comment is None or account != self.ig_user_id:
            raise not_found(comment_id, "post")
        return CommentRef(
            comment_id=comment.id,
            author=comment.author,
            messaging_user=comment.author,
            created=comment.created,
            already_replied=comment.private_replied,
        )

    def _mark_replied(self, comment_id: str) -> None:
        self.comments[comment_id].private_replied = True

    # --- Graph API ---------------------------------------------------------------------------
    def graph_comment(self, comment: IgComment, *, replies_limit: Any = None) -> dict[str, Any]:
        """A comment as the Graph API returns it (with its replies when asked)."""
        graph: dict[str, Any] = {
            "id": comment.id,
            "text": comment.text,
            "timestamp": to_graph_time(comment.created),
            "username": self._username(comment.author),
            "from": {"id": comment.author, "username": self._username(comment.author)},
            "hidden": comment.hidden,
        }
        if replies_limit is not None and comment.parent_id is None:
            graph["replies"] = self.replies_page(comment.id, {"limit": replies_limit})
        return graph

    def comments_page(self, media_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Top-level comments of a media, newest first, with replies when the fields ask."""
        fields = str(params.get("fields", ""))
        with self.lock:
            found = [
                c for c in self.comments.values() if c.media_id == media_id and not c.parent_id
            ]
        found.sort(key=lambda c: c.created, reverse=True)
        page = paged(
            found, limit=params.get("limit"), after=params.get("after"), path=f"{media_id}/comments"
        )
        replies_limit = edge_modifier(fields, "replies", "limit") or (
            25 if "replies" in fields else None
        )
        page["data"] = [self.graph_comment(c, replies_limit=replies_limit) for c in page["data"]]
        return page

    def replies_page(self, comment_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Replies to a top-level comment, oldest first."""
        with self.lock:
            found = sorted(
                (c for c in self.comments.values() if c.parent_id == comment_id),
                key=lambda c: c.created,
            )
        page = paged(
            found,
            limit=params.get("limit"),
            after=params.get("after"),
            path=f"{comment_id}/replies",
        )
        page["data"] = [self.graph_comment(c) for c in page["data"]]
        return page

    def _mentioned(self, fields: str) -> dict[str, Any] | None:
        comment_id = edge_modifier(fields, "mentioned_comment", "comment_id")
        if comment_id is not None:
            comment = self.comments.get(comment_id)
            if comment is None:
                raise not_found(comment_id)
            return {
                "mentioned_comment": {
                    "id": comment.id,
                    "text": comment.text,
                    "username": self._username(comment.author),
                    "timestamp": to_graph_time(comment.created),
                },
                "id": self.ig_user_id,
            }
        media_id = edge_modifier(fields, "mentioned_media", "media_id")
        if media_id is not None:
            media = self.media.get(media_id)
            if media is None:
                raise not_found(media_id)
            return {
                "mentioned_media": {
                    "id": media.id,
                    "caption": media.caption,
                    "username": self._username(media.owner),
                    "timestamp": to_graph_time(media.created),
                },
                "id": self.ig_user_id,
            }
        return None

    def node_get(self, call: GraphCall) -> dict[str, Any]:
        """``GET /{id}``: the account (with mention look-ups), a media or a comment."""
        node = call.path_params["node"]
        call.authorize(self.ig_user_id)
        if node in (self.ig_user_id, "me"):
            mention = self._mentioned(str(call.params.get("fields", "")))
            return mention or {"id": self.ig_user_id, "username": self.username}
        if node in self.comments:
            return self.graph_comment(self.comments[node])
        if node in self.media:
            media = self.media[node]
            return {
                "id": media.id,
                "caption": media.caption,
                "timestamp": to_graph_time(media.created),
            }
        raise not_found(node)

    def node_post(self, call: GraphCall) -> dict[str, Any]:
        """``POST /{comment-id}?hide=true|false``."""
        node = call.path_params["node"]
        call.authorize(self.ig_user_id)
        comment = self.comments.get(node)
        if comment is None:
            raise not_found(node, "post")
        hide = str(call.params.get("hide", "")).lower()
        if hide not in ("true", "false"):
            raise invalid_parameter("param hide must be a boolean")
        with self.lock:
            comment.hidden = hide == "true"
        return {"success": True}

    def edge_get(self, call: GraphCall) -> dict[str, Any]:
        """``GET /{id}/{edge}``: media, comments, replies, conversations, thread messages."""
        node, edge, params = call.path_params["node"], call.path_params["edge"], call.params
        if edge == "messages" and node != self.ig_user_id:
            account, page = self.messaging.thread_messages(node, params, call.path)
            call.authorize(account)
            return page
        call.authorize(self.ig_user_id)
        if node == self.ig_user_id and edge == "media":
            return self._media_page(params)
        if node == self.ig_user_id and edge == "conversations":
            if params.get("platform") != "instagram":
                raise invalid_parameter("param platform must be instagram")
            return self.messaging.conversations(self.ig_user_id, params, call.path)
        if edge == "comments" and node in self.media:
            return self.comments_page(node, params)
        if edge == "replies" and node in self.comments:
            return self.replies_page(node, params)
        raise not_found(f"{node}/{edge}")

    def _media_page(self, params: Mapping[str, Any]) -> dict[str, Any]:
        fields = str(params.get("fields", ""))
        with self.lock:
            own = sorted(
                (m for m in self.media.values() if m.owner == self.ig_user_id),
                key=lambda m: m.created,
                reverse=True,
            )
        page = paged(
            own,
            limit=params.get("limit"),
            after=params.get("after"),
            path=f"{self.ig_user_id}/media",
        )
        data = []
        for media in page["data"]:
            graph: dict[str, Any] = {
                "id": media.id,
                "caption": media.caption,
                "timestamp": to_graph_time(media.created),
            }
            if "comments" in fields:
                nested = {"fields": fields, "limit": edge_modifier(fields, "comments", "limit")}
                graph["comments"] = self.comments_page(media.id, nested)
            data.append(graph)
        page["data"] = data
        return page

    def edge_post(self, call: GraphCall) -> dict[str, Any]:
        """``POST /{comment}/replies``, ``/{account}/mentions`` and ``/{account}/messages``."""
        node, edge, params = call.path_params["node"], call.path_params["edge"], call.params
        call.authorize(self.ig_user_id)
        if node == self.ig_user_id and edge == "messages":
            return self.messaging.brand_sends(self.ig_user_id, params)
        message = required_text(params, "message", COMMENT_MAX_LENGTH)
        if edge == "replies" and node in self.comments:
            return {"id": self._comment(self.ig_user_id, message, media=None, reply_to=node).id}
        if node == self.ig_user_id and edge == "mentions":
            return {"id": self._answer_mention(params, message).id}
        raise not_found(f"{node}/{edge}", "post")

    def _answer_mention(self, params: Mapping[str, Any], message: str) -> IgComment:
        media = self.media.get(str(params.get("media_id")))
        if media is None:
            raise invalid_parameter("param media_id must be a media that mentions you")
        comment_id = params.get("comment_id")
        if comment_id and comment_id not in self.comments:
            raise invalid_parameter("param comment_id must be a comment that mentions you")
        return self._comment(
            self.ig_user_id,
            message,
            media=media,
            reply_to=str(comment_id) if comment_id else None,
            deliver=False,
        )


def _person(state: InstagramEmulatorState, params: Mapping[str, Any]) -> Person:
    return state.person(str(params.get("customer") or "someone"))


def _comment_action(state: InstagramEmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    made = state.customer_comment(
        _person(state, params),
        str(params["text"]),
        media_id=params.get("media_id"),
        reply_to=params.get("reply_to"),
    )
    return {"comment_id": made.id, "media_id": made.media_id, "parent_id": made.parent_id}


def _mention_action(state: InstagramEmulatorState, params: dict[str, Any]) -> dict[str, str]:
    return state.customer_mention(
        _person(state, params), str(params["text"]), in_caption=bool(params.get("in_caption"))
    )


def _message_action(state: InstagramEmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    person = _person(state, params)
    sent = state.customer_message(
        person, str(params.get("text", "")), image_url=params.get("image_url")
    )
    return {"mid": sent.mid, "igsid": person.igsid}


def _story_mention_action(state: InstagramEmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    person = _person(state, params)
    sent = state.customer_story_mention(person, str(params["story_url"]))
    return {"mid": sent.mid, "igsid": person.igsid}


def _unsend_action(state: InstagramEmulatorState, params: dict[str, Any]) -> None:
    state.customer_unsends(_person(state, params), str(params["mid"]))


def _unavailable_action(state: InstagramEmulatorState, params: dict[str, Any]) -> None:
    state.messaging.unavailable.add(_person(state, params).igsid)


PEOPLE_ACTIONS: dict[str, ControlAction] = {
    "customer/comment": _comment_action,
    "customer/mention": _mention_action,
    "customer/message": _message_action,
    "customer/story_mention": _story_mention_action,
    "customer/unsend": _unsend_action,
    "customer/unavailable": _unavailable_action,
}


def create_emulator(state: InstagramEmulatorState | None = None) -> Starlette:
    """The Instagram emulator as a Starlette app (``app.state.emulator`` is the platform)."""
    app = Starlette(routes=[*control_routes(PEOPLE_ACTIONS), *graph_routes()])
    app.state.emulator = state or InstagramEmulatorState()
    return app


def instagram_emulator() -> EmulatorSetup:
    """An Instagram emulator with one professional account and a first post."""
    state = InstagramEmulatorState()
    state.publish("New collection is in!")
    return EmulatorSetup(create_emulator(state), state, "ig_user_id", state.ig_user_id)
