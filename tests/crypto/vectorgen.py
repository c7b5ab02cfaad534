"""Golden vector generator (Python twin of js/vectorgen.mjs).

`generate(origin)` makes every vector file from fixed inputs and a fixed random stream per
vector, so the same origin always gives the same bytes in Python and in JavaScript. The Python
set (`vectors/python/`) is written by this module, the JavaScript set (`vectors/js/`) by
`js/vectorgen.mjs`; each language reproduces and opens both.

Run `python tests/crypto/vectorgen.py --write` to rewrite the Python set (only when the
specification changes, which means a new scheme version).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from eportfolio import crypto as c
from eportfolio.crypto.boxes import (
    SealedPurpose,
    SecretPurpose,
    seal_secret,
    seal_to,
)
from eportfolio.crypto.encoding import lp
from eportfolio.crypto.primitives import key_id, x25519_public

VECTORS = Path(__file__).parent / "vectors"
TEST_PARAMS = (8, 1, 1)


class FixedRng:
    """A reproducible byte stream: SHA-256 over a label and a counter. Tests only."""

    def __init__(self, label: str) -> None:
        self._label = label.encode("utf-8")
        self._counter = 0
        self._buffer = b""

    def __call__(self, size: int) -> bytes:
        while len(self._buffer) < size:
            block = lp(b"eportfolio/test-rng") + lp(self._label) + self._counter.to_bytes(8, "big")
            self._buffer += hashlib.sha256(block).digest()
            self._counter += 1
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def h(data: bytes) -> str:
    return data.hex()


PEOPLE = {
    "participant": ("Mama.Noor", "zon op het water", "person-participant"),
    "coach": ("coach.sanne", "koffie met melk 7", "person-coach"),
    "budget_coach": ("budget-karim", "spaarpot vol munten", "person-budget-coach"),
    "staff": ("staff_eva", "rooster voor de week", "person-staff"),
    "officer": ("officer.lin", "sleutel in de kluis", "person-officer"),
}

LOGIN_CASES = [
    "Mama.Noor",
    "ＭＡＭＡ＿ｎｏｏｒ",
    "ab",
    "a" * 33,
    "noor@home",
    "KELVIN\u212a",
    "e\u0301mma",
    "  padded ",
    "x.y-z_0",
]

B64U_CASES = ["", "00", "ff", "fbff", "000102", "fbefbeff", "00010203"]
B64U_INVALID = ["A", "AA==", "AB", "A+B/", "AA A", "_w=", "AAAAA"]


class Generator:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.people: dict[str, c.Identity] = {}
        self.files: dict[str, dict[str, Any]] = {}

    def rng(self, name: str) -> FixedRng:
        return FixedRng(f"{self.origin}/{name}")

    def put(self, name: str, description: str, body: dict[str, Any]) -> None:
        self.files[name] = {"origin": self.origin, "description": description, **body}

    def run(self) -> dict[str, dict[str, Any]]:
        self.kdf()
        self.identities()
        self.fingerprints()
        self.boxes()
        self.envelopes()
        self.items()
        self.grants()
        self.epochs()
        self.records()
        self.intake()
        self.pinned_keys()
        self.recovery()
        self.vouches()
        self.score_consents()
        self.rotation()
        self.attachments()
        self.encoding()
        return self.files

    def kdf(self) -> None:
        logins = []
        for case in LOGIN_CASES:
            try:
                logins.append({"input": case, "normalised": c.normalise_login(case)})
            except c.CryptoError:
                logins.append({"input": case, "normalised": None})
        derivations = []
        cases = [
            ("Mama.Noor", "zon op het water", (65536, 3, 1)),
            ("mama.noor", "zon op het water", TEST_PARAMS),
            ("coach.sanne", "Cafe\u0301 in de zon", (64, 2, 2)),
        ]
        for index, (login, password, (memory, iterations, lanes)) in enumerate(cases):
            params = c.KdfParams.new(memory, iterations, lanes, rng=self.rng(f"kdf/{index}"))
            secrets = c.derive_login_secrets(login, password, params, allow_test_params=True)
            derivations.append(
                {
                    "login": login,
                    "password": password,
                    "params": h(params.to_bytes()),
                    "minimum_met": memory >= 65536 and iterations >= 3,
                    "salt": h(c.kdf.login_salt(login, params.seed)),
                    "master_key": h(secrets.master_key),
                    "auth_secret": h(secrets.auth_secret),
                    "kek": h(secrets.kek),
                    "auth_proof": h(secrets.auth_proof()),
                }
            )
        refused = {
            "below_minimum": [
                h(c.KdfParams(65536, 2, 1, bytes(16)).to_bytes()),
                h(c.KdfParams(65535, 3, 1, bytes(16)).to_bytes()),
            ],
            "above_maximum": [
                h(c.KdfParams(1048577, 3, 1, bytes(16)).to_bytes()),
                h(c.KdfParams(65536, 17, 1, bytes(16)).to_bytes()),
                h(c.KdfParams(65536, 3, 5, bytes(16)).to_bytes()),
            ],
        }
        self.put(
            "kdf",
            "Login normalisation, salt, Argon2id outputs, KEK and login AuthProof",
            {"logins": logins, "derivations": derivations, "refused_params": refused},
        )

    def identities(self) -> None:
        out = {}
        for name, (login, password, user_id) in PEOPLE.items():
            params = c.KdfParams.new(*TEST_PARAMS, rng=self.rng(f"params/{name}"))
            signup = c.Identity.create(
                login,
                password,
                user_id=user_id,
                params=params,
                allow_test_params=True,
                rng=self.rng(f"identity/{name}"),
            )
            identity = signup.identity
            self.people[name] = identity
            out[name] = {
                "login": login,
                "password": password,
                "user_id": user_id,
                "params": h(params.to_bytes()),
                "bundle": h(signup.bundle),
                "recovery_code": signup.recovery_code.text,
                "auth_proof": h(signup.auth_proof),
                "recovery_auth_proof": h(signup.recovery_auth_proof),
                "public_identity": h(signup.public_identity),
                "user_key_id": h(identity.user_key_id),
                "x25519_public": h(identity.person.x25519_public),
                "ed25519_public": h(identity.person.ed25519_public),
                "fingerprint": h(identity.fingerprint),
                "fingerprint_text": identity.person.fingerprint_text,
            }
        self.put(
            "identities",
            "Sign-up of five people (test KDF parameters): key bundle, recovery code, proofs, "
            "public identity and fingerprint",
            {"people": out},
        )

    def fingerprints(self) -> None:
        rng = self.rng("fingerprints")
        cases = []
        for kind, subject in [
            (c.FingerprintKind.PERSON, "person-participant"),
            (c.FingerprintKind.ORGANISATION_KEY, "org-smart-mama"),
            (c.FingerprintKind.PROGRAMME_KEY, "programme-emmen"),
            (c.FingerprintKind.PROGRAMME_RECOVERY_KEY, "programme-emmen"),
            (c.FingerprintKind.RECOVERY_DEVICE_KEY, "person-participant"),
        ]:
            material = rng(64 if kind == c.FingerprintKind.PERSON else 32)
            value = c.fingerprint(kind, subject, material)
            cases.append(
                {
                    "kind": int(kind),
                    "subject_id": subject,
                    "key_material": h(material),
                    "fingerprint": h(value),
                    "text": c.fingerprint_text(value),
                    "qr": c.fingerprint_qr(value),
                }
            )
        self.put("fingerprints", "Fingerprints of each kind, as text and QR payload", {"cases": cases})

    def boxes(self) -> None:
        secret = []
        for purpose, size, context_size in [
            (SecretPurpose.USER_KEY_KEK, 32, 47),
            (SecretPurpose.PRIVATE_KEYS, 64, 64),
            (SecretPurpose.PINNED_KEYS, 5, 42),
            (SecretPurpose.ITEM_KEY, 32, 16),
        ]:
            rng = self.rng(f"secret-box/{int(purpose)}")
            key, plaintext, context = rng(32), rng(size), rng(context_size)
            box = seal_secret(key, purpose, plaintext, context, rng=rng)
            secret.append(
                {
                    "purpose": int(purpose),
                    "key": h(key),
                    "plaintext": h(plaintext),
                    "context": h(context),
                    "box": h(box),
                }
            )
        sealed = []
        for purpose in SealedPurpose:
            rng = self.rng(f"sealed-box/{int(purpose)}")
            private, plaintext, context = rng(32), rng(32), rng(24)
            box = seal_to(x25519_public(private), purpose, plaintext, context, rng=rng)
            sealed.append(
                {
                    "purpose": int(purpose),
                    "recipient_private": h(private),
                    "recipient_public": h(x25519_public(private)),
                    "plaintext": h(plaintext),
                    "context": h(context),
                    "box": h(box),
                }
            )
        self.put(
            "boxes",
            "SecretBox per purpose and SealedBox per purpose; each case's random stream draws "
            "key, plaintext, context (and recipient private key) before sealing",
            {"secret": secret, "sealed": sealed},
        )

    def envelopes(self) -> None:
        cases = []
        author = self.people["participant"]
        for index, (resource_type, resource_id, item_id, revision, plaintext) in enumerate(
            [
                ("goal-plan", "portfolio-17", "item-3", 4, b"Ik wil mijn diploma halen."),
                ("diary", "portfolio-17", "item-9", 0, b""),
            ]
        ):
            rng = self.rng(f"envelope/{index}")
            key = rng(32)
            envelope = c.seal_envelope(
                author,
                key,
                resource_type=resource_type,
                resource_id=resource_id,
                item_id=item_id,
                revision=revision,
                plaintext=plaintext,
                rng=rng,
            )
            context = c.ItemContext(resource_type, resource_id, item_id, revision, author.person)
            cases.append(
                {
                    "author": "participant",
                    "content_key": h(key),
                    "resource_type": resource_type,
                    "resource_id": resource_id,
                    "item_id": item_id,
                    "revision": revision,
                    "plaintext": h(plaintext),
                    "ad": h(context.associated_data(c.key_id(key))),
                    "envelope": h(envelope),
                }
            )
        rng = self.rng("envelope/message")
        key = rng(32)
        message = c.encrypt_message(
            self.people["coach"],
            key,
            conversation_id="conversation-5",
            message_id="msg-0001",
            plaintext=b"Hoe gaat het vandaag?",
            rng=rng,
        )
        self.put(
            "envelopes",
            "Signed envelopes with their associated data; the message is a chat message",
            {
                "cases": cases,
                "message": {
                    "author": "coach",
                    "conversation_key": h(key),
                    "conversation_id": "conversation-5",
                    "message_id": "msg-0001",
                    "plaintext": h(b"Hoe gaat het vandaag?"),
                    "envelope": h(message),
                },
            },
        )

    def items(self) -> None:
        author = self.people["participant"]
        portfolio_key = self.rng("items/portfolio-key")(32)
        audiences = {
            "only_me": c.Audience.only_me(),
            "coaches": c.Audience.coaches(portfolio_key),
            "chosen": c.Audience.chosen([self.people["budget_coach"].person]),
        }
        cases = []
        for name, audience in audiences.items():
            sealed = c.encrypt_item(
                author,
                audience,
                resource_type="portfolio-entry",
                resource_id="portfolio-17",
                item_id=f"entry-{name}",
                revision=1,
                plaintext=f"entry for {name}".encode(),
                rng=self.rng(f"items/{name}"),
            )
            cases.append(
                {
                    "audience": name,
                    "author": "participant",
                    "resource_type": "portfolio-entry",
                    "resource_id": "portfolio-17",
                    "item_id": f"entry-{name}",
                    "revision": 1,
                    "plaintext": h(f"entry for {name}".encode()),
                    "item_key_id": h(sealed.item_key_id),
                    "envelope": h(sealed.envelope),
                    "wraps": [h(w) for w in sealed.wraps],
                    "grants": [h(g) for g in sealed.grants],
                    "readers": ["budget_coach"] if name == "chosen" else [],
                }
            )
        self.put(
            "items",
            "Items with each audience: only me (user key), my coaches (portfolio key), chosen people (grants)",
            {"portfolio_key": h(portfolio_key), "cases": cases},
        )

    def grants(self) -> None:
        rng = self.rng("grants")
        key = rng(32)
        grant = c.make_grant(
            self.people["participant"],
            resource_type="portfolio",
            resource_id="portfolio-17",
            epoch=3,
            key=key,
            recipient=self.people["coach"].person,
            rng=rng,
        )
        self.put(
            "grants",
            "A portfolio epoch key granted by the participant to her coach",
            {
                "granter": "participant",
                "recipient": "coach",
                "resource_type": "portfolio",
                "resource_id": "portfolio-17",
                "epoch": 3,
                "key": h(key),
                "grant": h(grant),
            },
        )

    def epochs(self) -> None:
        rng = self.rng("epochs")
        chain = []
        previous: bytes | None = None
        for epoch in (1, 2, 3):
            made = c.new_epoch(
                self.people["coach"],
                resource_type="conversation",
                resource_id="conversation-5",
                epoch=epoch,
                previous_key=previous,
                rng=rng,
            )
            chain.append({"epoch": epoch, "key": h(made.key), "record": h(made.record)})
            previous = made.key
        self.put(
            "epochs",
            "Three epochs of a conversation, each carrying the previous key",
            {"creator": "coach", "resource_type": "conversation", "resource_id": "conversation-5", "chain": chain},
        )

    def records(self) -> None:
        rng = self.rng("records")
        organisation = c.SigningKey.generate(rng=rng)
        programme = c.SigningKey.generate(rng=rng)
        recovery = c.ProgrammeRecoveryKey.generate(rng=rng)
        coach = self.people["coach"].person
        budget = self.people["budget_coach"].person
        common = {"organisation_id": "org-smart-mama", "programme_id": "programme-emmen", "signed_by": "person-staff"}
        certificate = organisation.sign_record(
            c.ProgrammeKeyCertificate(programme.public), serial=1, issued_at=1767225600, **common
        )
        assignment = programme.sign_record(
            c.CoachAssignment(
                "person-participant", coach.user_id, coach.fingerprint, c.CoachRole.INDIVIDUAL, 1767225600, 0
            ),
            serial=7,
            issued_at=1767225700,
            **common,
        )
        roster = programme.sign_record(
            c.DutyRoster(
                1767225600,
                1767830400,
                (
                    c.RosterEntry(coach.user_id, coach.fingerprint, c.Duty.COACH, 1767225600, 1767254400),
                    c.RosterEntry(budget.user_id, budget.fingerprint, c.Duty.SUPERVISOR, 1767225600, 1767830400),
                ),
            ),
            serial=2,
            issued_at=1767225800,
            **common,
        )
        recovery_record = programme.sign_record(
            c.ProgrammeRecoveryKeyRecord(recovery.public), serial=1, issued_at=1767225900, **common
        )
        participant = self.people["participant"].person
        group = programme.sign_record(
            c.GroupMembership(
                "group-emmen-1",
                1767225600,
                0,
                (
                    c.GroupEntry(participant.user_id, participant.fingerprint, c.GroupRole.PARTICIPANT),
                    c.GroupEntry(coach.user_id, coach.fingerprint, c.GroupRole.TRAINER),
                ),
            ),
            serial=3,
            issued_at=1767226000,
            **common,
        )
        staff = self.people["staff"].person
        self.put(
            "records",
            "Signed records: programme key certificate (organisation key), coach assignment, duty "
            "roster, programme recovery key and group membership (programme key); the programme key "
            "sealed to staff",
            {
                "organisation_public": h(organisation.public),
                "programme_public": h(programme.public),
                "recovery_public": h(recovery.public),
                "certificate": h(certificate),
                "coach_assignment": h(assignment),
                "duty_roster": h(roster),
                "recovery_key": h(recovery_record),
                "group_membership": h(group),
                "programme_key_for_staff": h(programme.seal_for(staff, rng=rng)),
                "staff": "staff",
                **common,
            },
        )

    def intake(self) -> None:
        rng = self.rng("intake")
        organisation = c.SigningKey.generate(rng=rng)
        programme = c.SigningKey.generate(rng=rng)
        coach = self.people["coach"].person
        staff = self.people["staff"].person
        common = {"organisation_id": "org-smart-mama", "programme_id": "programme-emmen", "signed_by": "person-staff"}
        certificate = organisation.sign_record(
            c.ProgrammeKeyCertificate(programme.public), serial=1, issued_at=1767225600, **common
        )
        team = programme.sign_record(
            c.IntakeTeam(
                1767225600,
                0,
                (c.IntakeReader(staff.user_id, staff.fingerprint), c.IntakeReader(coach.user_id, coach.fingerprint)),
            ),
            serial=4,
            issued_at=1767226100,
            **common,
        )
        application_id = "application-1"
        plaintext = "Ik wil graag meedoen. Mijn zoon is één jaar.".encode()
        sealed = c.seal_intake_letter(
            (staff, coach), programme_id="programme-emmen", application_id=application_id, plaintext=plaintext, rng=rng
        )
        self.put(
            "intake",
            "An intake team record (kind 0x06, programme key) naming two readers, and an application's "
            "letter sealed to both",
            {
                "organisation_public": h(organisation.public),
                "programme_public": h(programme.public),
                "certificate": h(certificate),
                "intake_team": h(team),
                "readers": ["staff", "coach"],
                "application_id": application_id,
                "plaintext": h(plaintext),
                "letter": h(sealed.letter),
                "keys": {user_id: h(box) for user_id, box in sealed.keys.items()},
                **common,
            },
        )

    def pinned_keys(self) -> None:
        coach = self.people["coach"].person
        entries = [
            c.PinnedKey(c.FingerprintKind.PERSON, coach.user_id, coach.x25519_public + coach.ed25519_public, True),
            c.PinnedKey(c.FingerprintKind.PROGRAMME_KEY, "programme-emmen", self.rng("pinned/programme")(32), False),
        ]
        record = c.seal_pinned_keys(self.people["participant"], 5, entries, rng=self.rng("pinned"))
        self.put(
            "pinned_keys",
            "The participant's pinned keys, revision 5",
            {
                "owner": "participant",
                "revision": 5,
                "record": h(record),
                "entries": [
                    {
                        "kind": int(e.kind),
                        "subject_id": e.subject_id,
                        "key_material": h(e.key_material),
                        "confirmed": e.confirmed,
                    }
                    for e in entries
                ],
            },
        )

    def vouches(self) -> None:
        subject = self.people["participant"].person
        drawn = self.rng("vouch/former")(64)
        former = c.Person(subject.user_id, drawn[:32], drawn[32:])
        vouch = c.make_vouch(self.people["coach"], subject=subject, former=former, vouched_at=1_780_000_000)
        self.put(
            "vouches",
            "Her coach vouches, after checking in person, for the participant's new key; her former key is random",
            {
                "voucher": "coach",
                "subject": "participant",
                "former_x25519_public": h(former.x25519_public),
                "former_ed25519_public": h(former.ed25519_public),
                "vouched_at": 1_780_000_000,
                "vouch": h(vouch),
            },
        )

    def score_consents(self) -> None:
        her = self.people["participant"]
        text = "Ik ga akkoord dat mijn programma mijn scores gebruikt. \u00e9\u00e9n"
        statements = [
            {
                "kind": kind,
                "serial": serial,
                "statement": h(
                    c.sign_score_consent(
                        her, programme_id="programme-a", kind=kind, text=text, language="nl", serial=serial
                    )
                ),
            }
            for kind, serial in (("agree", 1_780_000_000_000), ("withdraw", 1_780_000_100_000))
        ]
        self.put(
            "score_consents",
            "The participant's signed 'agree' and 'withdraw' to report her scores (kind 0x0F)",
            {
                "signer": "participant",
                "programme_id": "programme-a",
                "language": "nl",
                "text": text,
                "text_sha256": h(c.consent_text_sha256(text)),
                "statements": statements,
            },
        )

    def recovery(self) -> None:
        codes = []
        for index in range(3):
            code = c.RecoveryCode.generate(rng=self.rng(f"recovery/{index}"))
            codes.append(
                {
                    "secret": h(code.secret),
                    "text": code.text,
                    "kek": h(code.kek),
                    "auth_secret": h(code.auth_secret),
                    "auth_proof": h(code.auth_proof()),
                }
            )
        text = codes[0]["text"]
        typed = [
            (text.lower(), True),
            (text.replace("-", " "), True),
            (text.replace("-", ""), True),
            (text.replace("0", "O").replace("1", "l"), True),
            (text[:-1] + ("0" if text[-1] != "0" else "1"), False),
            (text[:-5], False),
            (text.replace(text[0], "U", 1), False),
        ]
        parse = []
        for value, _ok in typed:
            try:
                parse.append({"typed": value, "secret": h(c.RecoveryCode.parse(value).secret)})
            except c.CryptoError:
                parse.append({"typed": value, "secret": None})
        rng = self.rng("recovery/programme")
        recovery = c.ProgrammeRecoveryKey.generate(rng=rng)
        participant = self.people["participant"]
        copy = participant.seal_for_programme_recovery(recovery.public, rng=rng)
        officer_box = recovery.seal_for(self.people["officer"].person, rng=rng)
        device_private, device_public = c.new_device_key(rng=rng)
        resealed = recovery.reseal_to_device(
            copy,
            user_id=participant.user_id,
            user_key_id=participant.user_key_id,
            device_public=device_public,
            rng=rng,
        )
        self.put(
            "recovery",
            "Recovery codes with check and derivations, typed variants, and programme recovery: "
            "copy for the recovery key, recovery key for the officer, user key to a new device",
            {
                "codes": codes,
                "parse": parse,
                "programme": {
                    "participant": "participant",
                    "officer": "officer",
                    "recovery_public": h(recovery.public),
                    "copy": h(copy),
                    "officer_box": h(officer_box),
                    "device_private": h(device_private),
                    "device_public": h(device_public),
                    "device_fingerprint": h(
                        c.fingerprint(c.FingerprintKind.RECOVERY_DEVICE_KEY, participant.user_id, device_public)
                    ),
                    "resealed": h(resealed),
                },
            },
        )

    def rotation(self) -> None:
        participant = self.people["participant"]
        entry = self.files["identities"]["people"]["participant"]
        params = c.KdfParams.from_bytes(bytes.fromhex(entry["params"]))
        secrets = c.derive_login_secrets(entry["login"], entry["password"], params, allow_test_params=True)
        rng = self.rng("rotation")
        item_key = rng(32)
        item_key_id = key_id(item_key)
        wrap = participant.wrap_under_user_key(SecretPurpose.ITEM_KEY, item_key, item_key_id, rng=rng)
        kept = participant.rotate_user_key(secrets, recovery_code=entry["recovery_code"], rng=rng)
        rewrapped = kept.rewrap_item_key(wrap, item_key_id, rng=rng)
        revision, pinned = kept.reseal_pinned_keys(
            bytes.fromhex(self.files["pinned_keys"]["record"]), min_revision=5, rng=rng
        )
        recovery_private = rng(32)
        copy = kept.seal_for_programme_recovery(x25519_public(recovery_private), rng=rng)
        fresh = participant.rotate_user_key(secrets, recovery_code=None, rng=self.rng("rotation/new-code"))
        assert fresh.recovery_code is not None
        self.put(
            "rotation",
            "User-key rotation of the participant (withdrawn programme-recovery consent): with her own "
            "recovery code kept, an only-me item key, her pinned keys and a kept consent copy re-wrapped; "
            "and without her code, so a new one is made. Random draws in order: item key, its old wrap, "
            "new user key, [new code], the three bundle boxes, then each re-wrap",
            {
                "participant": "participant",
                "old_user_key_id": h(participant.user_key_id),
                "item_key": h(item_key),
                "item_key_id": h(item_key_id),
                "old_item_wrap": h(wrap),
                "kept_code": {
                    "bundle": h(kept.bundle),
                    "new_user_key_id": h(kept.new_user_key_id),
                    "recovery_auth_proof": h(kept.recovery_auth_proof),
                    "item_wrap": h(rewrapped),
                    "pinned_revision": revision,
                    "pinned_record": h(pinned),
                    "recovery_private": h(recovery_private),
                    "recovery_copy": h(copy),
                },
                "new_code": {
                    "bundle": h(fresh.bundle),
                    "new_user_key_id": h(fresh.new_user_key_id),
                    "recovery_code": fresh.recovery_code.text,
                    "recovery_auth_proof": h(fresh.recovery_auth_proof),
                },
            },
        )

    def attachments(self) -> None:
        cases = []
        for size in (0, 100, c.CHUNK_BYTES, c.CHUNK_BYTES + 1):
            rng = self.rng(f"attachments/{size}")
            item_key, data = rng(32), rng(size)
            salt, parts = c.encrypt_attachment(item_key, [data], rng=rng)
            meta = c.AttachmentMeta(f"photo-{size}.jpg", "image/jpeg", size, salt)
            cases.append(
                {
                    "item_key": h(item_key),
                    "size": size,
                    "sha256": h(hashlib.sha256(data).digest()),
                    "meta": h(meta.to_bytes()),
                    "stream": c.b64u_encode(b"".join(parts)),
                }
            )
        self.put(
            "attachments",
            "Attachment streams (64 KiB chunks) and their metadata; each case's random stream "
            "draws the item key, then the data, then the stream salt",
            {"cases": cases},
        )

    def encoding(self) -> None:
        self.put(
            "encoding",
            "base64url without padding, and texts a decoder must refuse",
            {
                "valid": [{"hex": value, "text": c.b64u_encode(bytes.fromhex(value))} for value in B64U_CASES],
                "invalid": B64U_INVALID,
            },
        )


def generate(origin: str) -> dict[str, dict[str, Any]]:
    return Generator(origin).run()


def dump(body: dict[str, Any]) -> str:
    return json.dumps(body, indent=1, ensure_ascii=False) + "\n"


def write(origin: str) -> None:
    folder = VECTORS / origin
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in generate(origin).items():
        (folder / f"{name}.json").write_text(dump(body), encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write("python")
    else:
        sys.exit("usage: vectorgen.py --write")
