// Her application's letter is sealed only to the readers a verified intake team record names
// (frontend/static/js/intake/team-check.js, docs/crypto-spec.md 8.1): a server that swaps a
// reader's key, adds a reader, re-signs the record with a key of its own, serves an unsigned or
// older record, another programme's or another kind of record, gets it refused; what it can do
// to a first-visit browser (its own organisation key) shows as another fingerprint, and a browser
// that met the organisation key before refuses it.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { encodeLetter, openServedLetter, readLetter } from '../../../frontend/static/js/intake/letter-format.js';
import { TEAM_VALID_DAYS, TeamRefused, intakeReaders, teamValidity } from '../../../frontend/static/js/intake/team-check.js';
import { NOW, ORG, PROGRAMME, identity, lib } from './lying-harness.mjs';

const enc = lib.b64uEncode;

async function world() {
  const staff = await identity('staff.i', 'staff-1');
  const admin = await identity('admin.i', 'admin-1');
  const mallory = await identity('mallory.i', 'mallory');
  const org = await lib.SigningKey.generate();
  const programme = await lib.SigningKey.generate();
  const meta = { organisationId: ORG, programmeId: PROGRAMME, issuedAt: NOW, signedBy: 'staff-1' };
  const certify = (orgKey, programmeKey, programmeId = PROGRAMME) =>
    orgKey.signRecord(lib.RecordKind.PROGRAMME_KEY_CERTIFICATE, { ed25519Public: programmeKey.public }, { ...meta, programmeId, serial: 1 });
  const team = async (readers, { key = programme, serial = 2, programmeId = PROGRAMME, validFrom = NOW - 3600, validUntil = NOW + 30 * 86400 } = {}) =>
    key.signRecord(
      lib.RecordKind.INTAKE_TEAM,
      {
        validFrom,
        validUntil,
        readers: await Promise.all(readers.map(async (p) => ({ personId: p.userId, fingerprint: await p.fingerprint() }))),
      },
      { ...meta, programmeId, serial },
    );
  const served = async (overrides = {}) => ({
    organisation_id: ORG,
    programme_id: PROGRAMME,
    organisation_public: enc(org.public),
    certificate: enc(await certify(org, programme)),
    team_serial: 2,
    team_record: enc(await team([staff, admin])),
    readers: [
      { person_id: staff.userId, public_identity: enc(await staff.publicIdentity()) },
      { person_id: admin.userId, public_identity: enc(await admin.publicIdentity()) },
    ],
    ...overrides,
  });
  return { staff, admin, mallory, org, programme, certify, team, served };
}

const expected = { organisationId: ORG, programmeId: PROGRAMME };

async function refusedAs(promise, reason) {
  await assert.rejects(promise, (error) => error instanceof TeamRefused && error.reason === reason);
}

test('the honest team names exactly its readers, with the organisation key fingerprint', async () => {
  const w = await world();
  const checked = await intakeReaders(await w.served(), expected);
  assert.deepEqual(checked.readers.map((p) => p.userId), ['staff-1', 'admin-1']);
  assert.equal(checked.serial, 2);
  assert.equal(checked.organisationFingerprint, lib.fingerprintText(await lib.fingerprint(lib.FingerprintKind.ORGANISATION_KEY, ORG, w.org.public)));
});

test('a reader swapped, added or re-signed by the server is refused', async () => {
  const w = await world();
  // The server serves its own key under a reader's id: the record names her by another key.
  const swapped = await w.served({
    readers: [
      { person_id: 'staff-1', public_identity: enc(await (await identity('staff.fake', 'staff-1')).publicIdentity()) },
      { person_id: 'admin-1', public_identity: enc(await w.admin.publicIdentity()) },
    ],
  });
  await refusedAs(intakeReaders(swapped, expected), 'chain');
  // The server adds its reader to the record and signs with a programme key of its own.
  const mallorysKey = await lib.SigningKey.generate();
  const resigned = await w.served({ team_record: enc(await w.team([w.staff, w.admin, w.mallory], { key: mallorysKey })) });
  await refusedAs(intakeReaders(resigned, expected), 'chain');
  // ... or certifies its own programme key with a key that is not the organisation's.
  const certified = await w.served({
    certificate: enc(await w.certify(mallorysKey, mallorysKey)),
    team_record: enc(await w.team([w.mallory], { key: mallorysKey })),
  });
  await refusedAs(intakeReaders(certified, expected), 'chain');
  // A reader listed by the server but not in the record gets nothing.
  const extra = await w.served();
  extra.readers.push({ person_id: 'mallory', public_identity: enc(await w.mallory.publicIdentity()) });
  const checked = await intakeReaders(extra, expected);
  assert.deepEqual(checked.readers.map((p) => p.userId), ['staff-1', 'admin-1']);
  // A reader the record names but the server withholds stops the whole letter.
  await refusedAs(intakeReaders(await w.served({ readers: [] }), expected), 'chain');
});

test('an unsigned, ended, older, other programme or other kind of record is refused', async () => {
  const w = await world();
  const good = lib.b64uDecode((await w.served()).team_record);
  const unsigned = new Uint8Array(good);
  unsigned.fill(0, unsigned.length - 64);
  await refusedAs(intakeReaders(await w.served({ team_record: enc(unsigned) }), expected), 'chain');
  const ended = await w.team([w.staff], { validUntil: NOW - 60 });
  await refusedAs(intakeReaders(await w.served({ team_record: enc(ended) }), expected), 'chain');
  const other = await w.team([w.staff], { programmeId: 'programme-b' });
  await refusedAs(intakeReaders(await w.served({ team_record: enc(other) }), expected), 'chain');
  const group = await w.programme.signRecord(
    lib.RecordKind.GROUP_MEMBERSHIP,
    { groupId: 'g', validFrom: NOW - 3600, validUntil: 0, members: [{ personId: 'mallory', fingerprint: await w.mallory.fingerprint(), role: 1 }] },
    { organisationId: ORG, programmeId: PROGRAMME, issuedAt: NOW, signedBy: 'staff-1', serial: 2 },
  );
  await refusedAs(intakeReaders(await w.served({ team_record: enc(group) }), expected), 'chain');
  await refusedAs(intakeReaders(await w.served({ team_serial: 3 }), expected), 'chain');
  await refusedAs(intakeReaders(await w.served(), { ...expected, seenSerial: 5 }), 'rollback');
  await refusedAs(intakeReaders(await w.served({ programme_id: 'programme-b' }), expected), 'chain');
});

test('a whole chain of the server\'s own shows another fingerprint, and is refused where the organisation key was met', async () => {
  const w = await world();
  const fakeOrg = await lib.SigningKey.generate();
  const fakeProgramme = await lib.SigningKey.generate();
  const forged = await w.served({
    organisation_public: enc(fakeOrg.public),
    certificate: enc(await w.certify(fakeOrg, fakeProgramme)),
    team_record: enc(await w.team([w.mallory], { key: fakeProgramme })),
    readers: [{ person_id: 'mallory', public_identity: enc(await w.mallory.publicIdentity()) }],
  });
  // A first visit cannot tell by itself: the page shows the fingerprint to compare (docs/security.md).
  const first = await intakeReaders(forged, expected);
  const real = await intakeReaders(await w.served(), expected);
  assert.notEqual(first.organisationFingerprint, real.organisationFingerprint);
  // A browser that met the real organisation key refuses the forged one.
  await refusedAs(intakeReaders(forged, { ...expected, pinnedOrganisation: w.org.public }), 'key_changed');
});

test('a team without an end, or signed for longer than a team holds, is refused; one signed as staff sign it holds until it ends', async () => {
  const w = await world();
  // The first-time applicant's rollback (she saw no serial): an old team that never ends.
  const forever = await w.team([w.staff, w.mallory], { validUntil: 0 });
  await refusedAs(intakeReaders(await w.served({ team_record: enc(forever) }), expected), 'chain');
  const long = await w.team([w.staff], { validFrom: NOW - 3600, validUntil: NOW - 3600 + (TEAM_VALID_DAYS + 1) * 86400 });
  await refusedAs(intakeReaders(await w.served({ team_record: enc(long) }), expected), 'chain');
  // As the staff page signs it: from the start of today (UTC) for TEAM_VALID_DAYS days.
  const { validFrom, validUntil } = teamValidity(NOW);
  assert.equal(validFrom % 86400, 0);
  assert.ok(validFrom <= NOW && NOW < validFrom + 86400);
  assert.equal(validUntil - validFrom, TEAM_VALID_DAYS * 86400);
  const signed = enc(await w.team([w.staff, w.admin], { validFrom, validUntil }));
  const held = await intakeReaders(await w.served({ team_record: signed }), { ...expected, now: validUntil - 60 });
  assert.deepEqual(held.readers.map((p) => p.userId), [w.staff.userId, w.admin.userId]);
  await refusedAs(intakeReaders(await w.served({ team_record: signed }), { ...expected, now: validUntil }), 'chain');
});

// Her name and contact are sealed inside her letter (letter-format.js): a server that pairs her
// letter with another contact (or name) cannot change what is sealed, and the staff browser warns.
async function application(w, { name = 'Noor', contact = '06 1234 5678', letter = 'Ik wil graag meedoen.', plaintext } = {}) {
  const reader = await lib.Person.fromPublicIdentity(await w.staff.publicIdentity());
  const sealed = await lib.sealIntakeLetter([reader], {
    programmeId: PROGRAMME,
    applicationId: 'application-1',
    plaintext: plaintext ?? encodeLetter({ name, contact, letter }),
  });
  return {
    application_id: 'application-1',
    programme_id: PROGRAMME,
    letter: enc(sealed.letter),
    sealed_key: enc(sealed.keys[w.staff.userId]),
  };
}

test('a server that pairs her letter with another contact or name gets a warning shown', async () => {
  const w = await world();
  const served = await application(w);
  const honest = await openServedLetter(served, w.staff, { name: 'Noor', contact: ' 06 1234 5678 ' }, lib.b64uDecode);
  assert.deepEqual(honest, { text: 'Ik wil graag meedoen.', mismatch: false });
  const otherContact = await openServedLetter(served, w.staff, { name: 'Noor', contact: 'mallory@example.org' }, lib.b64uDecode);
  assert.deepEqual(otherContact, { text: 'Ik wil graag meedoen.', mismatch: true });
  const otherName = await openServedLetter(served, w.staff, { name: 'Sanne', contact: '06 1234 5678' }, lib.b64uDecode);
  assert.equal(otherName.mismatch, true);
});

test('a letter from before (its text only) still opens, with nothing to compare', async () => {
  const w = await world();
  const before = await application(w, { plaintext: new TextEncoder().encode('{ Mijn oude brief.') });
  const opened = await openServedLetter(before, w.staff, { name: 'Noor', contact: 'x@example.org' }, lib.b64uDecode);
  assert.deepEqual(opened, { text: '{ Mijn oude brief.', mismatch: false });
  assert.deepEqual(readLetter(new TextEncoder().encode('{"v":2,"letter":"x"}')), { text: '{"v":2,"letter":"x"}', name: null, contact: null });
  assert.deepEqual(readLetter(encodeLetter({ name: 'Noor', contact: 'n@example.org', letter: 'Hoi' })), { text: 'Hoi', name: 'Noor', contact: 'n@example.org' });
});
