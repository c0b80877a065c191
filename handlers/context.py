"""PTB's typed context for this bot: every handler reaches the services as ``context.services``.

Built the way PTB's ``contexttypesbot.py`` example shows: ``application.bot_data`` is a
:class:`BotData` (not a dict of string keys), and :class:`NewsContext` exposes its services with
their real type, so a handler's use of them is checked like any other call.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.services import BotServices


class BotData:
    """``application.bot_data``: the services, set once when the Application is assembled."""

    def __init__(self) -> None:
        self._services: BotServices | None = None

    @property
    def services(self) -> BotServices:
        if self._services is None:
            raise RuntimeError("the Application was built without its services")
        return self._services

    @services.setter
    def services(self, services: BotServices) -> None:
        self._services = services


class NewsContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """The context every handler of this bot receives."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def services(self) -> BotServices:
        return self.bot_data.services


CONTEXT_TYPES = ContextTypes(context=NewsContext, bot_data=BotData)
