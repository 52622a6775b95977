"""The console's ASGI app: its routes, static files and the 404 page (API layer, console).

`SluiceApp` sends every request whose path starts with `/console` here. Each page module
contributes `routes(console)`; add a new module to `PAGE_MODULES` (docs/console.md, "How to add
a console page").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Router
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from sluice.api.console import auth, connections, connectors, flows, oauth, runs, wizard
from sluice.api.console.pages import PREFIX, STATIC, Console, KeyResolver
from sluice.service.services import Services

# Each module's `routes(console)`; the order matters only where paths overlap.
PAGE_MODULES: tuple[Callable[[Console], list[BaseRoute]], ...] = (
    auth.routes,
    wizard.routes,  # before flows: /console/flows/_new is not a flow named _new
    flows.routes,
    runs.routes,
    connections.routes,
    oauth.routes,
    connectors.routes,
)


def is_console_request(scope: Scope) -> bool:
    """True for /console and everything under it."""
    path = str(scope.get("path", ""))
    return path == PREFIX or path.startswith(PREFIX + "/")


class ConsoleApp:
    """Answers /console: sign-in, the pages, their fragments and the static files."""

    def __init__(self, services: Services, resolve_key: KeyResolver, session_key: bytes,
                 regions: Sequence[str] = ()) -> None:
        self.console = Console(services, resolve_key, session_key, regions)
        routes: list[BaseRoute] = [Mount(f"{PREFIX}/static", app=StaticFiles(directory=str(STATIC)), name="static")]
        for module_routes in PAGE_MODULES:
            routes.extend(module_routes(self.console))
        self.router = Router(routes=routes, default=self._not_found)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.router(scope, receive, send)

    async def _not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response: Response
        if self.console.user(request) is None:
            response = self.console.not_signed_in(request, fragment=False)
        else:
            response = self.console.error(request, 404, "Not found", "The console has no page at this address.")
        await response(scope, receive, send)
