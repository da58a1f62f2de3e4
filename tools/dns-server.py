"""A real DNS server on loopback for the domain-verification tests.

Answers over UDP and TCP from a JSON zone file the test rewrites at will
(read again on every query):

    {"_gatehouse-challenge.acme.com.": {"TXT": [["gatehouse-domain-", "verification=abc"]], "ttl": 1},
     "_gatehouse-challenge.beta.com.": {"CNAME": "verify.dns-team.example."},
     "slow.example.": {"drop": true}}

A TXT entry is a list of records, each a list of strings (one record may
be split into several strings). A name that is not in the file is NXDOMAIN;
`drop` never answers (a timeout). Usage: dns-server.py PORT ZONE_FILE;
prints "ready" once listening.
"""

import json
import sys
import time

from dnslib import CNAME, QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSServer


class ZoneFile(BaseResolver):
    def __init__(self, path):
        self.path = path

    def zone(self):
        try:
            with open(self.path, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def resolve(self, request, handler):
        reply = request.reply()
        zone = self.zone()
        name = str(request.q.qname).lower()
        seen = set()
        while name in zone and name not in seen:
            seen.add(name)
            entry = zone[name]
            ttl = int(entry.get("ttl", 0))
            if entry.get("drop"):
                time.sleep(30)
                return None
            if "CNAME" in entry:
                reply.add_answer(RR(name, QTYPE.CNAME, rdata=CNAME(entry["CNAME"]), ttl=ttl))
                name = entry["CNAME"].lower()
                continue
            if request.q.qtype in (QTYPE.TXT, QTYPE.ANY):
                for record in entry.get("TXT", []):
                    reply.add_answer(RR(name, QTYPE.TXT, rdata=TXT([s.encode() for s in record]), ttl=ttl))
            return reply
        if not reply.rr:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    resolver = ZoneFile(path)
    servers = [
        DNSServer(resolver, address="127.0.0.1", port=port, tcp=False),
        DNSServer(resolver, address="127.0.0.1", port=port, tcp=True),
    ]
    for server in servers:
        server.start_thread()
    print("ready", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
