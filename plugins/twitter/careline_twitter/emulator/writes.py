"""The emulated writes: posting (``POST /2/tweets``) and sending DMs, with X's refusals."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from careline_twitter.emulator.gate import Caller, Refusal, bad_parameter, json_body
from careline_twitter.emulator.shapes import invalid_request, problem
from careline_twitter.emulator.state import EmulatorState
from careline_twitter.ids import is_id
from careline_twitter.length import is_valid_post


class Writes:
    """The write endpoints over one :class:`EmulatorState`."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def create_post(self, request: Request, caller: Caller) -> tuple[int, Any]:
        """``POST /2/tweets``: publish a post or a reply as the caller."""
        body = await json_body(request)
        unknown = set(body) - {
            "text",
            "reply",
            "media",
            "quote_tweet_id",
            "reply_settings",
            "poll",
            "geo",
            "direct_message_deep_link",
            "for_super_followers_only",
            "nullcast",
        }
        if unknown:
            name = sorted(unknown)[0]
            raise Refusal(
                400,
                invalid_request(
                    f"$.{name}: is not defined in the schema and the schema does not allow additional properties",
                    {name: [str(body[name])]},
                ),
            )
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise Refusal(
                400, invalid_request("$.text: is missing but it is required", {"text": [""]})
            )
        reply = body.get("reply")
        parent_id: str | None = None
        if reply is not None:
            if not isinstance(reply, dict):
                raise Refusal(
                    400, invalid_request("$.reply: object expected", {"reply": [str(reply)]})
                )
            extra = set(reply) - {
                "in_reply_to_tweet_id",
                "exclude_reply_user_ids",
                "auto_populate_reply_metadata",
            }
            if extra:
                name = sorted(extra)[0]
                raise Refusal(
                    400,
                    invalid_request(
                        f"$.reply.{name}: is not defined in the schema and the schema does not allow additional properties",
                        {name: [str(reply[name])]},
                    ),
                )
            parent_id = reply.get("in_reply_to_tweet_id")
            if not is_id(parent_id):
                raise Refusal(
                    400,
                    invalid_request(
                        "$.reply.in_reply_to_tweet_id: does not match the regex pattern ^[0-9]{1,19}$",
                        {"in_reply_to_tweet_id": [str(parent_id)]},
                    ),
                )
        if not is_valid_post(text):
            raise Refusal(
                400,
                invalid_request(
                    "The `text` field is too long or contains invalid characters.",
                    {"text": [text[:40]]},
                ),
            )
        assert caller.user_id is not None
        if self.state.has_posted(caller.user_id, text):
            raise Refusal(
                403,
                problem(
                    403,
                    "Forbidden",
                    "You are not allowed to create a Tweet with duplicate content.",
                ),
            )
        parent = self.state.posts.get(parent_id) if parent_id else None
        if parent_id and (parent is None or parent.deleted):
            raise Refusal(
                403,
                problem(
                    403,
                    "Forbidden",
                    "You attempted to reply to a Tweet that is deleted or not visible to you.",
                ),
            )
        post = self.state.create_post(caller.user_id, text, in_reply_to=parent_id)
        return 201, {
            "data": {"id": post.id, "text": post.text, "edit_history_tweet_ids": [post.id]}
        }

    async def send_dm(self, request: Request, caller: Caller) -> tuple[int, Any]:
        """``POST /2/dm_conversations/with/:participant_id/messages``."""
        participant_id = request.path_params["participant_id"]
        if not is_id(participant_id):
            raise bad_parameter(
                "participant_id",
                participant_id,
                f"The `participant_id` value [{participant_id}] does not match ^[0-9]{{1,19}}$",
            )
        body = await json_body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise Refusal(
                400, invalid_request("$.text: is missing but it is required", {"text": [""]})
            )
        if len(text) > 10_000:
            raise Refusal(
                400,
                invalid_request(
                    "$.text: must be at most 10000 characters long", {"text": [text[:40]]}
                ),
            )
        recipient = self.state.find_user(participant_id)
        if recipient is None:
            raise Refusal(
                400,
                invalid_request(
                    f"The `participant_id` value [{participant_id}] does not identify a user",
                    {"participant_id": [participant_id]},
                ),
            )
        if not recipient.accepts_dms:
            raise Refusal(
                403,
                problem(
                    403, "Forbidden", "You are not permitted to send Direct Messages to this user."
                ),
            )
        assert caller.user_id is not None
        message = self.state.create_dm(caller.user_id, recipient.id, text)
        return 201, {
            "data": {"dm_conversation_id": message.conversation_id, "dm_event_id": message.id}
        }
