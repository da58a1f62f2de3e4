"""PyPI `scim2-server` (in memory, no authentication) as an ASGI application,
for the side-by-side SCIM figure of `just bench scim`:

    .venv/bin/uvicorn --app-dir tools scim2_server_asgi:app --port PORT --log-level warning

Its SCIM base URL is http://127.0.0.1:PORT/v2.
"""

from scim2_server.applications.asgi import ASGIApplication
from scim2_server.memory import AsyncInMemoryStorage
from scim2_server.service import ScimService
from scim2_server.utils import load_default_provider

provider = load_default_provider()
app = ASGIApplication(AsyncInMemoryStorage(), provider, ScimService(provider))
