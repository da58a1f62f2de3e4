"""A SAML 2.0 identity provider for the tests, its XML signatures made by
PyPI `signxml` (lxml + cryptography).

Usage: .venv/bin/python tools/saml-idp.py PORT
Prints "ready" once listening on 127.0.0.1:PORT.

  GET  /metadata          the IdP metadata (entity ID, HTTP-Redirect SSO URL, signing certificate)
  GET  /cert.pem          the signing certificate (for manual configuration)
  GET  /moved, /huge      a redirect to /metadata, and 600 KiB of XML (both must be refused)
  GET  /sso?SAMLRequest=…&RelayState=…
                          HTTP-Redirect binding: a login form (type an email)
  POST /login             SAMLRequest, RelayState, email [, variant, subject, name]
                          → an HTML form that POSTs SAMLResponse and RelayState
                            to the service provider's ACS (auto-submitted by script)

`variant` makes the IdP misbehave the way attackers and broken setups do; the
service provider must refuse every one but `assertion` (default), `response`
and `both` (which of the Response and the Assertion get signed).
"""

import base64
import datetime
import html
import sys
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import CanonicalizationMethod, XMLSigner

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
NS = {"samlp": SAMLP, "saml": SAML, "ds": DS}


def make_key(common_name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


KEY, CERT = make_key("Gatehouse test IdP")
# Another key, for responses signed by someone else (its certificate travels
# in the signature's KeyInfo, which the service provider must ignore).
OTHER_KEY, OTHER_CERT = make_key("Gatehouse test IdP")


def instant(delta_seconds=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def q(ns, tag):
    return "{%s}%s" % (ns, tag)


def sign(element, key=KEY, cert=CERT):
    """Enveloped exclusive-c14n RSA-SHA256 signature, placed after the Issuer."""
    issuer = element.find(q(SAML, "Issuer"))
    placeholder = etree.Element(q(DS, "Signature"), Id="placeholder", nsmap={"ds": DS})
    issuer.addnext(placeholder)
    signer = XMLSigner(c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    signer.namespaces = {"ds": DS}
    return signer.sign(element, key=key, cert=cert, reference_uri=element.get("ID"))


def skew_of(variant):
    return {"expired": -600, "not_yet_valid": 600}.get(variant, 0)


def build_assertion(idp, req, email, subject, name, variant):
    now_skew = skew_of(variant)
    if variant == "issuer":
        idp = "https://evil.example/idp"
    audience = "https://evil.example/metadata" if variant == "audience" else req["issuer"]
    recipient = "https://evil.example/acs" if variant == "recipient" else req["acs"]
    in_response_to = "_not-the-request" if variant == "in_response_to" else req["id"]
    a = etree.Element(q(SAML, "Assertion"), nsmap={"saml": SAML},
                      ID="_a" + uuid.uuid4().hex, Version="2.0", IssueInstant=instant(now_skew))
    etree.SubElement(a, q(SAML, "Issuer")).text = idp
    s = etree.SubElement(a, q(SAML, "Subject"))
    fmt = ("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" if subject == email
           else "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    etree.SubElement(s, q(SAML, "NameID"), Format=fmt).text = subject
    sc = etree.SubElement(s, q(SAML, "SubjectConfirmation"), Method="urn:oasis:names:tc:SAML:2.0:cm:bearer")
    etree.SubElement(sc, q(SAML, "SubjectConfirmationData"), InResponseTo=in_response_to,
                     NotOnOrAfter=instant(now_skew + 300), Recipient=recipient)
    c = etree.SubElement(a, q(SAML, "Conditions"), NotBefore=instant(now_skew - 30),
                         NotOnOrAfter=instant(now_skew + 300))
    ar = etree.SubElement(c, q(SAML, "AudienceRestriction"))
    etree.SubElement(ar, q(SAML, "Audience")).text = audience
    st = etree.SubElement(a, q(SAML, "AuthnStatement"), AuthnInstant=instant(now_skew),
                          SessionIndex="_s" + uuid.uuid4().hex)
    ac = etree.SubElement(st, q(SAML, "AuthnContext"))
    etree.SubElement(ac, q(SAML, "AuthnContextClassRef")).text = \
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
    attrs = etree.SubElement(a, q(SAML, "AttributeStatement"))
    first, _, last = (name or "").partition(" ")
    for attr_name, value in (("email", email), ("firstName", first), ("lastName", last)):
        if value:
            at = etree.SubElement(attrs, q(SAML, "Attribute"), Name=attr_name,
                                  NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic")
            etree.SubElement(at, q(SAML, "AttributeValue")).text = value
    return a


def build_response(idp, req, email, subject, name, variant):
    now_skew = skew_of(variant)
    destination = "https://evil.example/acs" if variant == "destination" else req["acs"]
    r = etree.Element(q(SAMLP, "Response"), nsmap={"samlp": SAMLP, "saml": SAML},
                      ID="_r" + uuid.uuid4().hex, Version="2.0", IssueInstant=instant(now_skew),
                      Destination=destination, InResponseTo=req["id"])
    etree.SubElement(r, q(SAML, "Issuer")).text = idp
    status = etree.SubElement(r, q(SAMLP, "Status"))
    if variant == "status_denied":
        code = etree.SubElement(status, q(SAMLP, "StatusCode"), Value="urn:oasis:names:tc:SAML:2.0:status:Responder")
        etree.SubElement(code, q(SAMLP, "StatusCode"), Value="urn:oasis:names:tc:SAML:2.0:status:RequestDenied")
        etree.SubElement(status, q(SAMLP, "StatusMessage")).text = "User is not assigned to this application"
        return r
    etree.SubElement(status, q(SAMLP, "StatusCode"), Value="urn:oasis:names:tc:SAML:2.0:status:Success")

    assertion = build_assertion(idp, req, email, subject, name, variant)
    sign_assertion = variant not in ("response", "unsigned")
    if variant == "wrong_key":
        assertion = sign(assertion, OTHER_KEY, OTHER_CERT)
    elif sign_assertion:
        assertion = sign(assertion)
    r.append(assertion)

    if variant == "comment":
        # Signed as "<local>@<domain>.evil"; a comment after the domain keeps
        # the signature valid (c14n drops comments) and fools parsers that
        # read only the first text node.
        for el in r.iter(q(SAML, "NameID"), q(SAML, "AttributeValue")):
            if el.text and el.text.endswith(".evil"):
                el.text = el.text[: -len(".evil")]
                comment = etree.Comment("")
                comment.tail = ".evil"
                el.append(comment)
    elif variant == "xsw_evil_first":
        # An unsigned assertion for someone else before the signed one.
        evil = build_assertion(idp, req, req["victim"], req["victim"], "Evil", "assertion")
        r.insert(r.index(r.find(q(SAML, "Assertion"))), evil)
    elif variant == "xsw_same_id":
        # The unsigned assertion takes the signed one's ID; the signed one
        # hides inside it.
        signed = r.find(q(SAML, "Assertion"))
        evil = build_assertion(idp, req, req["victim"], req["victim"], "Evil", "assertion")
        evil.set("ID", signed.get("ID"))
        r.remove(signed)
        evil.append(signed)
        r.append(evil)
    elif variant == "xsw_signature_object":
        # The signed assertion moved into its own Signature's ds:Object and
        # replaced by an unsigned one with the same ID.
        signed = r.find(q(SAML, "Assertion"))
        evil = build_assertion(idp, req, req["victim"], req["victim"], "Evil", "assertion")
        evil.set("ID", signed.get("ID"))
        sig = signed.find(q(DS, "Signature"))
        signed.remove(sig)
        obj = etree.SubElement(sig, q(DS, "Object"))
        obj.append(signed)
        evil.find(q(SAML, "Issuer")).addnext(sig)
        r.append(evil)
    elif variant == "tampered":
        # The signed assertion's email changed after signing.
        for el in r.iter(q(SAML, "NameID"), q(SAML, "AttributeValue")):
            if el.text == email:
                el.text = req["victim"]

    if variant in ("response", "both", "xsw_response_wrap"):
        r = sign(r)
    if variant == "xsw_response_wrap":
        # A new unsigned Response for the victim carrying the signed one in
        # its Extensions.
        evil = build_response(idp, req, req["victim"], req["victim"], "Evil", "unsigned")
        ext = etree.Element(q(SAMLP, "Extensions"))
        evil.find(q(SAML, "Issuer")).addnext(ext)
        ext.append(r)
        r = evil
    return r


def parse_authn_request(saml_request):
    xml = zlib.decompress(base64.b64decode(saml_request), -15)
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    issuer = root.find("saml:Issuer", NS)
    return {
        "id": root.get("ID"),
        "acs": root.get("AssertionConsumerServiceURL"),
        "issuer": issuer.text if issuer is not None else "",
    }


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def idp(self):
        return "http://127.0.0.1:%d/metadata" % self.server.server_port

    def send(self, status, body, content_type="text/html; charset=utf-8"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/metadata":
            cert_b64 = b"".join(CERT.splitlines()[1:-1]).decode()
            port = self.server.server_port
            self.send(200, f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="{DS}" entityID="{self.idp()}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="{SAMLP}">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="http://127.0.0.1:{port}/sso"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="http://127.0.0.1:{port}/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
""", "application/samlmetadata+xml")
        elif url.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/metadata")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif url.path == "/huge":
            self.send(200, "<x>" + "a" * (600 * 1024) + "</x>", "application/samlmetadata+xml")
        elif url.path == "/cert.pem":
            self.send(200, CERT, "application/x-pem-file")
        elif url.path == "/sso":
            try:
                parse_authn_request(params["SAMLRequest"])
            except Exception as e:  # noqa: BLE001 - shown to the tester
                self.send(400, "bad SAMLRequest: %s" % html.escape(str(e)))
                return
            fields = "".join(
                '<input type="hidden" name="%s" value="%s">' % (k, html.escape(params.get(k, ""), quote=True))
                for k in ("SAMLRequest", "RelayState"))
            self.send(200, f"""<!doctype html><title>Test IdP sign-in</title>
<h1>Test IdP</h1><form method="post" action="/login">{fields}
<label>Email <input id="idp-email" name="email" type="email" autofocus></label>
<button id="idp-submit" type="submit">Sign in</button></form>""")
        else:
            self.send(404, "not found")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if urlparse(self.path).path != "/login":
            self.send(404, "not found")
            return
        req = parse_authn_request(form["SAMLRequest"])
        email = form.get("email", "")
        variant = form.get("variant", "assertion")
        req["victim"] = form.get("victim", "victim@" + email.partition("@")[2])
        if variant == "comment":
            email = email + ".evil"
        subject = form.get("subject") or email
        response = build_response(self.idp(), req, email, subject, form.get("name", ""), variant)
        xml = etree.tostring(response, xml_declaration=True, encoding="UTF-8")
        if variant.startswith("doctype"):
            xml = xml.replace(b"?>", b'?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)
        saml_response = base64.b64encode(xml).decode()
        acs = html.escape(req["acs"], quote=True)
        self.send(200, f"""<!doctype html><title>Signing in…</title>
<form id="saml" method="post" action="{acs}">
<input type="hidden" name="SAMLResponse" value="{saml_response}">
<input type="hidden" name="RelayState" value="{html.escape(form.get('RelayState', ''), quote=True)}">
<noscript><button type="submit">Continue</button></noscript></form>
<script>document.getElementById('saml').submit()</script>""")


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("ready", flush=True)
    server.serve_forever()
