"""The Facebook emulator: one Page with posts, comments and Messenger, over real HTTP.

It speaks the Graph endpoints the Facebook channel uses, with Meta's shapes and errors::

    GET  /{v}/{page-id}                      the Page (checks the token)
    GET  /{v}/{page-id}/feed                 posts, with comments.filter(stream).since(t)…
    GET  /{v}/{post-id}/comments             comments, filter=stream, since, paging
    POST /{v}/{comment-or-post-id}/comments  public reply (a reply to a reply joins the thread)
    POST /{v}/{comment-id}                   is_hidden=true hides a comment
    POST /{v}/{page-id}/messages             Messenger send and private replies (windows!)
    GET  /{v}/{page-id}/conversations        Messenger threads with their messages
    GET  /{v}/{thread-id}/messages           a thread's messages, paged

A simulated customer acts through ``POST /_emulator/customer/{comment,post,message,postback,
edit,remove}`` (or the Python methods of :class:`FacebookEmulatorState`), which signs and
delivers the webhook Meta would send to ``webhook_url``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.applications import Starlette

from careline_facebook.emulator.core import (
    MetaEmulatorState,
    edge_modifier,
    invalid_parameter,
    not_found,
    paged,
    required_text,
)
from careline_facebook.emulator.http import (
    ControlAction,
    GraphCall,
    control_routes,
    graph_routes,
)
from careline_facebook.emulator.messaging import CommentRef, PrivateMessage, PrivateMessaging
from careline_facebook.payload import to_graph_time

DEFAULT_PAGE_ID = "370873143344730"
MESSENGER_MAX_LENGTH = 2000
COMMENT_MAX_LENGTH = 8000


@dataclass
class Customer:
    """A simulated person: an app-scoped user id for comments, a page-scoped id for Messenger."""

    name: str
    user_id: str
    psid: str


@dataclass
class Post:
    """A post on the Page (by the Page or by a visitor)."""

    id: str
    author: str
    message: str
    created: datetime


@dataclass
class Comment:
    """A comment or reply; ``parent_id`` is the post for a top-level comment."""

    id: str
    post_id: str
    parent_id: str
    author: str
    message: str
    created: datetime
    photo: str | None = None
    hidden: bool = False
    private_replied: bool = False

    @property
    def top_level(self) -> bool:
        """Whether the comment is directly under the post."""
        return self.parent_id == self.post_id


class FacebookEmulatorState(MetaEmulatorState):
    """The simulated Page, its people, posts, comments and Messenger threads."""

    webhook_object = "page"
    channel_name = "facebook"

    def __init__(
        self, *, page_id: str = DEFAULT_PAGE_ID, page_name: str = "Acme Care", **options: Any
    ) -> None:
        super().__init__(**options)
        self.page_id = page_id
        self.page_name = page_name
        self.customers: dict[str, Customer] = {}
        self.posts: dict[str, Post] = {}
        self.comments: dict[str, Comment] = {}
        self._post_numbers = itertools.count(690891113073877, 7919)
        self._comment_numbers = itertools.count(759878495960329, 104729)
        self._user_numbers = itertools.count(6780462125377510, 1299709)
        self.messaging = PrivateMessaging(
            self,
            max_length=MESSENGER_MAX_LENGTH,
            comment_lookup=self._comment_ref,
            mark_replied=self._mark_replied,
            profile=self._profile,
            require_messaging_type=True,
        )
        self.page_token = self.issue_token(page_id)

    # --- people and objects ------------------------------------------------------------------
    def add_customer(self, name: str) -> Customer:
        """A new person who can comment and write to the Page."""
        with self.lock:
            customer = Customer(
                name=name,
                user_id=str(next(self._user_numbers)),
                psid=str(next(self._user_numbers) + 3),
            )
            self.customers[customer.user_id] = customer
            return customer

    def customer(self, key: str) -> Customer:
        """A customer by user id, Messenger id or name."""
        with self.lock:
            for customer in self.customers.values():
                if key in (customer.user_id, customer.psid, customer.name):
                    return customer
        raise KeyError(f"no customer {key!r}")

    def _profile(self, person: str) -> dict[str, Any]:
        if person == self.page_id:
            return {"id": self.page_id, "name": self.page_name}
        customer = self.customer(person)
        return {"id": customer.psid, "name": customer.name}

    def _name(self, person: str) -> str:
        return self.page_name if person == self.page_id else self.customer(person).name

    def _new_post(self, author: str, message: str) -> Post:
        post = Post(
            id=f"{self.page_id}_{next(self._post_numbers)}",
            author=author,
            message=message,
            created=self.now(),
        )
        self.posts[post.id] = post
        return post

    def latest_post(self) -> Post:
        """The Page's newest post (a first one is published when there is none)."""
        with self.lock:
            own = [p for p in self.posts.values() if p.author == self.page_id]
        if own:
            return max(own, key=lambda p: p.created)
        return self.page_post("Questions about your order? Ask us here.")

    # --- what people do (each delivers the webhook Meta would) --------------------------------
    def page_post(self, message: str) -> Post:
        """The Page publishes a post."""
        return self._post(self.page_id, message)

    def customer_post(self, customer: Customer, message: str) -> Post:
        """A visitor posts on the Page."""
        return self._post(customer.user_id, message)

    def _post(self, author: str, message: str) -> Post:
        with self.lock:
            post = self._new_post(author, message)
            value = {
                "from": {"id": author, "name": self._name(author)},
                "post_id": post.id,
                "created_time": int(post.created.timestamp()),
                "item": "status",
                "verb": "add",
                "published": 1,
                "message": message,
            }
            self.queue_delivery(self.page_id, changes=[{"field": "feed", "value": value}])
        self.flush_deliveries()
        return post

    def customer_comment(
        self,
        customer: Customer,
        message: str,
        *,
        post_id: str | None = None,
        reply_to: str | None = None,
        photo: str | None = None,
    ) -> Comment:
        """The customer comments on a post (the newest by default) or replies to a comment."""
        post = self.posts[post_id] if post_id else None
        if reply_to is None and post is None:
            post = self.latest_post()
        return self._comment(customer.user_id, message, post=post, reply_to=reply_to, photo=photo)

    def _comment(
        self,
        author: str,
        message: str,
        *,
        post: Post | None,
        reply_to: str | None,
        photo: str | None = None,
    ) -> Comment:
        with self.lock:
            if reply_to is not None:
                target = self.comments.get(reply_to)
                if target is None:
                    raise not_found(reply_to, "post")
                # Facebook threads one level deep: a reply to a reply joins the top comment.
                parent = target if target.top_level else self.comments[target.parent_id]
                post_id, parent_id = parent.post_id, parent.id
            else:
                assert post is not None
                post_id, parent_id = post.id, post.id
            number = post_id.split("_", 1)[1]
            comment = Comment(
                id=f"{number}_{next(self._comment_numbers)}",
                post_id=post_id,
                parent_id=parent_id,
                author=author,
                message=message,
                created=self.now(),
                photo=photo,
            )
            self.comments[comment.id] = comment
            self._deliver_comment(comment, "add")
        self.flush_deliveries()
        return comment

    def customer_edits(self, comment_id: str, message: str) -> Comment:
        """The author edits a comment."""
        with self.lock:
            comment = self.comments[comment_id]
            comment.message = message
            self._deliver_comment(comment, "edited")
        self.flush_deliveries()
        return comment

    def customer_removes(self, comment_id: str) -> None:
        """The author deletes a comment."""
        with self.lock:
            comment = self.comments.pop(comment_id)
            self._deliver_comment(comment, "remove")
        self.flush_deliveries()

    def customer_message(
        self, customer: Customer, text: str, *, image_url: str | None = None
    ) -> PrivateMessage:
        """The customer writes to the Page on Messenger."""
        attachments = [{"type": "image", "payload": {"url": image_url}}] if image_url else []
        return self.messaging.customer_writes(
            self.page_id, customer.psid, text, attachments=attachments
        )

    def customer_postback(self, customer: Customer, title: str, payload: str) -> None:
        """The customer presses a button in Messenger."""
        with self.lock:
            thread = self.messaging.thread(self.page_id, customer.psid)
            thread.last_inbound = self.now()
            event = {
                "sender": {"id": customer.psid},
                "recipient": {"id": self.page_id},
                "timestamp": int(self.now().timestamp() * 1000),
                "postback": {
                    "mid": f"m_postback_{self.next_number()}",
                    "title": title,
                    "payload": payload,
                },
            }
            self.queue_delivery(self.page_id, messaging=[event])
        self.flush_deliveries()

    def _deliver_comment(self, comment: Comment, verb: str) -> None:
        post = self.posts[comment.post_id]
        value: dict[str, Any] = {
            "from": {"id": comment.author, "name": self._name(comment.author)},
            "post": {
                "status_type": "mobile_status_update",
                "is_published": True,
                "updated_time": to_graph_time(self.now()),
                "permalink_url": f"https://www.facebook.com/{post.id.replace('_', '/posts/')}",
                "id": post.id,
            },
            "post_id": comment.post_id,
            "comment_id": comment.id,
            "created_time": int(comment.created.timestamp()),
            "item": "comment",
            "parent_id": comment.parent_id,
            "verb": verb,
        }
        if verb != "remove":
            value["message"] = comment.message
        if comment.photo:
            value["photo"] = comment.photo
        self.queue_delivery(self.page_id, changes=[{"field": "feed", "value": value}])

    # --- private replies ---------------------------------------------------------------------
    def _comment_ref(self, account: str, comment_id: str) -> CommentRef:
        comment = self.comments.get(comment_id)
        if comment is None or account != self.page_id:
            raise not_found(comment_id, "post")
        messaging_user = (
            self.page_id if comment.author == self.page_id else self.customer(comment.author).psid
        )
        return CommentRef(
            comment_id=comment.id,
            author=comment.author,
            messaging_user=messaging_user,
            created=comment.created,
            already_replied=comment.private_replied,
        )

    def _mark_replied(self, comment_id: str) -> None:
        self.comments[comment_id].private_replied = True

    # --- Graph API ---------------------------------------------------------------------------
    def graph_comment(self, comment: Comment) -> dict[str, Any]:
        """A comment as ``GET …/comments`` returns it."""
        graph: dict[str, Any] = {
            "id": comment.id,
            "from": {"id": comment.author, "name": self._name(comment.author)},
            "message": comment.message,
            "created_time": to_graph_time(comment.created),
            "is_hidden": comment.hidden,
        }
        if not comment.top_level:
            graph["parent"] = {"id": comment.parent_id}
        if comment.photo:
            graph["attachment"] = {"url": comment.photo, "type": "photo"}
        return graph

    def comments_page(
        self, post_id: str, *, stream: bool, order: str, since: Any, limit: Any, after: Any
    ) -> dict[str, Any]:
        """A page of a post's comments (``stream``: replies too, flattened)."""
        with self.lock:
            found = [
                c
                for c in self.comments.values()
                if c.post_id == post_id and (stream or c.top_level)
            ]
        if since not in (None, ""):
            found = [c for c in found if c.created.timestamp() >= float(since)]
        found.sort(key=lambda c: c.created, reverse=order == "reverse_chronological")
        page = paged(found, limit=limit, after=after, path=f"{post_id}/comments")
        page["data"] = [self.graph_comment(c) for c in page["data"]]
        return page

    def feed(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``GET /{page-id}/feed`` with the nested comments edge when asked for."""
        fields = str(params.get("fields", ""))
        with self.lock:
            posts = sorted(self.posts.values(), key=lambda p: p.created, reverse=True)
        page = paged(
            posts, limit=params.get("limit"), after=params.get("after"), path=f"{self.page_id}/feed"
        )
        data = []
        for post in page["data"]:
            graph: dict[str, Any] = {
                "id": post.id,
                "from": {"id": post.author, "name": self._name(post.author)},
                "message": post.message,
                "created_time": to_graph_time(post.created),
            }
            if "comments" in fields:
                graph["comments"] = self.comments_page(
                    post.id,
                    stream=edge_modifier(fields, "comments", "filter") == "stream",
                    order=edge_modifier(fields, "comments", "order") or "chronological",
                    since=edge_modifier(fields, "comments", "since"),
                    limit=edge_modifier(fields, "comments", "limit"),
                    after=None,
                )
            data.append(graph)
        page["data"] = data
        return page

    def node_get(self, call: GraphCall) -> dict[str, Any]:
        """``GET /{id}``: the Page, a post or a comment."""
        node = call.path_params["node"]
        call.authorize(self.page_id)
        if node in (self.page_id, "me"):
            return {"id": self.page_id, "name": self.page_name}
        if node in self.posts:
            post = self.posts[node]
            return {
                "id": post.id,
                "message": post.message,
                "created_time": to_graph_time(post.created),
            }
        if node in self.comments:
            return self.graph_comment(self.comments[node])
        raise not_found(node)

    def node_post(self, call: GraphCall) -> dict[str, Any]:
        """``POST /{comment-id}`` with ``is_hidden``: hide or unhide a comment."""
        node = call.path_params["node"]
        call.authorize(self.page_id)
        comment = self.comments.get(node)
        if comment is None:
            raise not_found(node, "post")
        hidden = str(call.params.get("is_hidden", "")).lower()
        if hidden not in ("true", "false"):
            raise invalid_parameter("param is_hidden must be a boolean")
        with self.lock:
            comment.hidden = hidden == "true"
            self._deliver_comment(comment, "hide" if comment.hidden else "unhide")
        self.flush_deliveries()
        return {"success": True}

    def edge_get(self, call: GraphCall) -> dict[str, Any]:
        """``GET /{id}/{edge}``: feed, comments, conversations, thread messages."""
        node, edge = call.path_params["node"], call.path_params["edge"]
        if node == "me":
            node = self.page_id
        params = call.params
        if edge == "messages" and node not in self.posts:
            account, page = self.messaging.thread_messages(node, params, call.path)
            call.authorize(account)
            return page
        call.authorize(self.page_id)
        if node == self.page_id and edge == "feed":
            return self.feed(params)
        if node == self.page_id and edge == "conversations":
            return self.messaging.conversations(self.page_id, params, call.path)
        if edge == "comments" and (node in self.posts or node in self.comments):
            return self.comments_page(
                node,
                stream=params.get("filter") == "stream",
                order=str(params.get("order", "chronological")),
                since=params.get("since"),
                limit=params.get("limit"),
                after=params.get("after"),
            )
        raise not_found(f"{node}/{edge}")

    def edge_post(self, call: GraphCall) -> dict[str, Any]:
        """``POST /{id}/comments`` (public reply) and ``POST /{page-id}/messages``."""
        node, edge = call.path_params["node"], call.path_params["edge"]
        if node == "me":
            node = self.page_id
        call.authorize(self.page_id)
        if edge == "messages" and node == self.page_id:
            return self.messaging.brand_sends(self.page_id, call.params)
        if edge == "comments":
            message = required_text(call.params, "message", COMMENT_MAX_LENGTH)
            if node in self.comments:
                comment = self._comment(self.page_id, message, post=None, reply_to=node)
            elif node in self.posts:
                comment = self._comment(self.page_id, message, post=self.posts[node], reply_to=None)
            else:
                raise not_found(node, "post")
            return {"id": comment.id}
        raise not_found(f"{node}/{edge}", "post")


def _customer_from(state: FacebookEmulatorState, params: Mapping[str, Any]) -> Customer:
    key = str(params.get("customer") or "")
    try:
        return state.customer(key)
    except KeyError:
        return state.add_customer(key or "Customer")


def _add_customer(state: FacebookEmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    customer = state.add_customer(str(params.get("name", "Customer")))
    return {"name": customer.name, "user_id": customer.user_id, "psid": customer.psid}


def _comment(state: FacebookEmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    made = state.customer_comment(
        _customer_from(state, params),
        str(params["message"]),
        post_id=params.get("post_id"),
        reply_to=params.get("reply_to"),
        photo=params.get("photo"),
    )
    return {"comment_id": made.id, "post_id": made.post_id, "parent_id": made.parent_id}


def _post(state: FacebookEmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("by_page"):
        return {"post_id": state.page_post(str(params["message"])).id}
    customer = _customer_from(state, params)
    return {"post_id": state.customer_post(customer, str(params["message"])).id}


def _message(state: FacebookEmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    customer = _customer_from(state, params)
    sent = state.customer_message(
        customer, str(params.get("text", "")), image_url=params.get("image_url")
    )
    return {"mid": sent.mid, "psid": customer.psid}


def _postback(state: FacebookEmulatorState, params: dict[str, Any]) -> None:
    customer = _customer_from(state, params)
    state.customer_postback(customer, str(params["title"]), str(params.get("payload", "")))


def _edit(state: FacebookEmulatorState, params: dict[str, Any]) -> None:
    state.customer_edits(str(params["comment_id"]), str(params["message"]))


def _remove(state: FacebookEmulatorState, params: dict[str, Any]) -> None:
    state.customer_removes(str(params["comment_id"]))


def _unavailable(state: FacebookEmulatorState, params: dict[str, Any]) -> None:
    state.messaging.unavailable.add(_customer_from(state, params).psid)


CUSTOMER_ACTIONS: dict[str, ControlAction] = {
    "customers": _add_customer,
    "customer/comment": _comment,
    "customer/post": _post,
    "customer/message": _message,
    "customer/postback": _postback,
    "customer/edit": _edit,
    "customer/remove": _remove,
    "customer/unavailable": _unavailable,
}


def create_emulator(state: FacebookEmulatorState | None = None) -> Starlette:
    """The Facebook emulator as a Starlette app (``state`` defaults to a fresh Page).

    The state lives in ``app.state.emulator``; replacing it gives a running server a fresh
    platform (the tests do this instead of restarting the server).
    """
    app = Starlette(routes=[*control_routes(CUSTOMER_ACTIONS), *graph_routes()])
    app.state.emulator = state or FacebookEmulatorState()
    return app
