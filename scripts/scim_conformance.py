"""Runs scim2-tester (https://pypi.org/project/scim2-tester/) against a live
Gatehouse SCIM endpoint and fails on any ERROR or CRITICAL result.

Usage: scim_conformance.py BASE_URL BEARER_TOKEN DOMAIN

Gatehouse only provisions people whose email is in one of the organization's
domains (PRODUCT.md, "Provisioning semantics"), while the tester invents
addresses in random domains and random user names. The email values and
user names it generates are therefore made addresses in DOMAIN (as Okta and
Entra ID send work emails as userName); nothing else about its checks is
changed.
"""

import re
import sys
import uuid
from collections import Counter
from importlib.metadata import version

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient

import scim2_tester
from scim2_tester import Status, check_server


def main() -> int:
    base_url, token, domain = sys.argv[1:4]
    verbose = "-v" in sys.argv[4:]

    original = scim2_tester.filling.generate_random_value
    generated_email = re.compile(r"^[0-9a-f-]{36}@[0-9a-f-]{36}\.com$")

    def address() -> str:
        return f"{uuid.uuid4().hex[:12]}@{domain}"

    def fix(value):
        if isinstance(value, str) and generated_email.match(value):
            return address()
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(getattr(value, "value", None), str) and generated_email.match(value.value):
            value.value = address()
        return value

    def in_domain(context, path, *args, **kwargs):
        value = original(context, path, *args, **kwargs)
        if str(path).endswith("userName") and isinstance(value, str):
            return address()
        return fix(value)

    for name, module in list(sys.modules.items()):
        if name.startswith("scim2_tester") and getattr(module, "generate_random_value", None) is original:
            module.generate_random_value = in_domain

    client = SyncSCIMClient(Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30))
    results = check_server(client)
    counts = Counter(r.status.name for r in results)
    bad = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    for r in bad:
        print(f"  {r.status.name}: [{r.resource_type or '-'}] {r.title}: {r.reason}")
        if verbose:
            print(f"    data: {r.data!r}"[:3000])
            err = r.data.get("error") if isinstance(r.data, dict) else None
            if err is not None:
                print(f"    cause: {err.__cause__!r} {getattr(err, 'response', None) and err.response.text!r}"[:3000])
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    print(f"scim2-tester {version('scim2-tester')}: {len(results)} checks: {summary}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
