"""The integrator's path through a client generated from the committed
OpenAPI document by openapi-python-client (PyPI), as a SaaS would use it:
every operation of the document is present in the generated package, and
sign-up → domains → plan → checkout → confirm → setup link runs through it.

    python openapi-client-flow.py OPENAPI_JSON BASE_URL

The generated package (`gatehouse_client`) must be on PYTHONPATH. Prints
one JSON line with what it saw; exits non-zero on any failure.
"""

import importlib
import json
import re
import sys
import uuid

openapi_path, base_url = sys.argv[1], sys.argv[2]
doc = json.load(open(openapi_path))


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# Every operation is in the client, under its tag.
missing = []
for path, item in doc["paths"].items():
    for method, op in item.items():
        module = f"gatehouse_client.api.{snake(op['tags'][0]).replace('-', '_')}.{snake(op['operationId'])}"
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(f"{method.upper()} {path} ({module})")
if missing:
    sys.exit(f"operations missing from the generated client: {missing}")

from gatehouse_client import AuthenticatedClient, Client  # noqa: E402
from gatehouse_client.api.accounts import sign_up  # noqa: E402
from gatehouse_client.api.checkout import confirm_checkout, create_checkout  # noqa: E402
from gatehouse_client.api.provisioning import add_domains, get_provisioning_state, set_default_plan  # noqa: E402
from gatehouse_client.api.setup import create_setup_link  # noqa: E402
from gatehouse_client.models import (  # noqa: E402
    AddDomainsRequest,
    CheckoutRequest,
    ConfirmRequest,
    FeatureChoice,
    Payment,
    SetDefaultPlanRequest,
    SetupKind,
    CreateSetupLinkRequest,
    SignupRequest,
    SignupResponse,
)


def ok(response, status):
    if response.status_code != status:
        sys.exit(f"expected {status}, got {response.status_code}: {response.content[:300]!r}")
    return response.parsed


signup = ok(
    sign_up.sync_detailed(
        client=Client(base_url=base_url),
        body=SignupRequest(
            organization_name="Initech", name="Peter Gibbons", email="peter@initech.com", password="correct horse battery"
        ),
    ),
    201,
)
assert isinstance(signup, SignupResponse), signup
org = signup.organization.id
client = AuthenticatedClient(base_url=base_url, token=signup.access_token)
ok(add_domains.sync_detailed(org, client=client, body=AddDomainsRequest(domains=["initech.com"])), 201)
ok(set_default_plan.sync_detailed(org, client=client, body=SetDefaultPlanRequest(plan_id="plan_core")), 200)
quote = ok(create_checkout.sync_detailed(org, client=client, body=CheckoutRequest(features=FeatureChoice.BOTH)), 201)
card = Payment(card_number="4242 4242 4242 4242", exp_month=12, exp_year=2031, cvc="123", cardholder_name="Peter Gibbons")
purchase = ok(
    confirm_checkout.sync_detailed(
        org, quote.id, client=client, body=ConfirmRequest(payment=card), idempotency_key=str(uuid.uuid4())
    ),
    201,
)
link = ok(create_setup_link.sync_detailed(org, client=client, body=CreateSetupLinkRequest(kind=SetupKind.SSO)), 201)
state = ok(get_provisioning_state.sync_detailed(org, client=client), 200)
print(
    json.dumps(
        {
            "organization": org,
            "purchase": purchase.purchase.id,
            "card_last4": purchase.purchase.card.last4,
            "setup_link": link.url,
            "sso": state.sso.status,
        },
        default=str,
    )
)
