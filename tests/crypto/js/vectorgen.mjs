// Golden vector generator (JavaScript twin of tests/crypto/vectorgen.py).
//
// generate(lib, origin) makes every vector file from fixed inputs and a fixed random stream per
// vector, so the same origin gives the same bytes as the Python generator. `lib` is the served
// crypto module (frontend/static/js/crypto/index.js), passed in so this file runs in Node and in
// Chromium alike.
//
// `node tests/crypto/js/vectorgen.mjs --write` rewrites the JavaScript set (vectors/js/).

const encoder = new TextEncoder();

export function hex(data) {
  return Array.from(data, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function unhex(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function lp(data) {
  const out = new Uint8Array(4 + data.length);
  new DataView(out.buffer).setUint32(0, data.length);
  out.set(data, 4);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

// A reproducible byte stream: SHA-256 over a label and a counter. Tests only.
export function fixedRng(label) {
  let counter = 0;
  let buffer = new Uint8Array(0);
  const prefix = concat(lp(encoder.encode('eportfolio/test-rng')), lp(encoder.encode(label)));
  return async (size) => {
    while (buffer.length < size) {
      const block = new Uint8Array(8);
      new DataView(block.buffer).setBigUint64(0, BigInt(counter));
      counter += 1;
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', concat(prefix, block)));
      buffer = concat(buffer, digest);
    }
    const out = buffer.slice(0, size);
    buffer = buffer.slice(size);
    return out;
  };
}

export const PEOPLE = {
  participant: ['Mama.Noor', 'zon op het water', 'person-participant'],
  coach: ['coach.sanne', 'koffie met melk 7', 'person-coach'],
  budget_coach: ['budget-karim', 'spaarpot vol munten', 'person-budget-coach'],
  staff: ['staff_eva', 'rooster voor de week', 'person-staff'],
  officer: ['officer.lin', 'sleutel in de kluis', 'person-officer'],
};

const LOGIN_CASES = [
  'Mama.Noor',
  'ＭＡＭＡ＿ｎｏｏｒ',
  'ab',
  'a'.repeat(33),
  'noor@home',
  'KELVIN\u212a',
  'e\u0301mma',
  '  padded ',
  'x.y-z_0',
];
const B64U_CASES = ['', '00', 'ff', 'fbff', '000102', 'fbefbeff', '00010203'];
const B64U_INVALID = ['A', 'AA==', 'AB', 'A+B/', 'AA A', '_w=', 'AAAAA'];
const TEST_PARAMS = { memoryKib: 8, iterations: 1, parallelism: 1 };

export async function generate(lib, origin) {
  const rng = (name) => fixedRng(`${origin}/${name}`);
  const files = {};
  const people = {};
  const secretsOf = {};
  const put = (name, description, body) => {
    files[name] = { origin, description, ...body };
  };
  const utf8 = (text) => encoder.encode(text);

  // kdf
  {
    const logins = LOGIN_CASES.map((input) => {
      try {
        return { input, normalised: lib.normaliseLogin(input) };
      } catch {
        return { input, normalised: null };
      }
    });
    const cases = [
      ['Mama.Noor', 'zon op het water', [65536, 3, 1]],
      ['mama.noor', 'zon op het water', [8, 1, 1]],
      ['coach.sanne', 'Cafe\u0301 in de zon', [64, 2, 2]],
    ];
    const derivations = [];
    for (const [index, [login, password, [memoryKib, iterations, parallelism]]] of cases.entries()) {
      const params = await lib.KdfParams.create({ memoryKib, iterations, parallelism, rng: rng(`kdf/${index}`) });
      const secrets = await lib.deriveLoginSecrets(login, password, params, { allowTestParams: true });
      derivations.push({
        login,
        password,
        params: hex(params.toBytes()),
        minimum_met: memoryKib >= 65536 && iterations >= 3,
        salt: hex(await lib.loginSalt(login, params.seed)),
        master_key: hex(secrets.masterKey),
        auth_secret: hex(secrets.authSecret),
        kek: hex(await secrets.kek()),
        auth_proof: hex(secrets.authProof()),
      });
    }
    const p = (m, t, l) => hex(new lib.KdfParams(m, t, l, new Uint8Array(16)).toBytes());
    put('kdf', 'Login normalisation, salt, Argon2id outputs, KEK and login AuthProof', {
      logins,
      derivations,
      refused_params: {
        below_minimum: [p(65536, 2, 1), p(65535, 3, 1)],
        above_maximum: [p(1048577, 3, 1), p(65536, 17, 1), p(65536, 3, 5)],
      },
    });
  }

  // identities
  {
    const out = {};
    for (const [name, [login, password, userId]] of Object.entries(PEOPLE)) {
      const params = await lib.KdfParams.create({ ...TEST_PARAMS, rng: rng(`params/${name}`) });
      const signup = await lib.Identity.create(login, password, {
        userId,
        params,
        allowTestParams: true,
        rng: rng(`identity/${name}`),
      });
      const identity = signup.identity;
      people[name] = identity;
      secretsOf[name] = await lib.deriveLoginSecrets(login, password, params, { allowTestParams: true });
      out[name] = {
        login,
        password,
        user_id: userId,
        params: hex(params.toBytes()),
        bundle: hex(signup.bundle),
        recovery_code: await signup.recoveryCode.text(),
        auth_proof: hex(signup.authProof),
        recovery_auth_proof: hex(signup.recoveryAuthProof),
        public_identity: hex(signup.publicIdentity),
        user_key_id: hex(identity.userKeyId),
        x25519_public: hex(identity.person.x25519Public),
        ed25519_public: hex(identity.person.ed25519Public),
        fingerprint: hex(await identity.fingerprint()),
        fingerprint_text: await identity.person.fingerprintText(),
      };
    }
    put(
      'identities',
      'Sign-up of five people (test KDF parameters): key bundle, recovery code, proofs, public identity and fingerprint',
      { people: out },
    );
  }

  // fingerprints
  {
    const draw = rng('fingerprints');
    const cases = [];
    for (const [kind, subject] of [
      [1, 'person-participant'],
      [2, 'org-smart-mama'],
      [3, 'programme-emmen'],
      [4, 'programme-emmen'],
      [5, 'person-participant'],
    ]) {
      const material = await draw(kind === 1 ? 64 : 32);
      const value = await lib.fingerprint(kind, subject, material);
      cases.push({
        kind,
        subject_id: subject,
        key_material: hex(material),
        fingerprint: hex(value),
        text: lib.fingerprintText(value),
        qr: lib.fingerprintQr(value),
      });
    }
    put('fingerprints', 'Fingerprints of each kind, as text and QR payload', { cases });
  }

  // boxes
  {
    const secret = [];
    for (const [purpose, size, contextSize] of [
      [1, 32, 47],
      [3, 64, 64],
      [4, 5, 42],
      [5, 32, 16],
    ]) {
      const draw = rng(`secret-box/${purpose}`);
      const key = await draw(32);
      const plaintext = await draw(size);
      const context = await draw(contextSize);
      const box = await lib.sealSecret(key, purpose, plaintext, context, { rng: draw });
      secret.push({ purpose, key: hex(key), plaintext: hex(plaintext), context: hex(context), box: hex(box) });
    }
    const sealed = [];
    for (const purpose of [1, 2, 3, 4, 5, 6]) {
      const draw = rng(`sealed-box/${purpose}`);
      const privateKey = await draw(32);
      const plaintext = await draw(32);
      const context = await draw(24);
      const publicKey = await lib.x25519Public(privateKey);
      const box = await lib.sealTo(publicKey, purpose, plaintext, context, { rng: draw });
      sealed.push({
        purpose,
        recipient_private: hex(privateKey),
        recipient_public: hex(publicKey),
        plaintext: hex(plaintext),
        context: hex(context),
        box: hex(box),
      });
    }
    put(
      'boxes',
      "SecretBox per purpose and SealedBox per purpose; each case's random stream draws key, plaintext, context (and recipient private key) before sealing",
      { secret, sealed },
    );
  }

  // envelopes
  {
    const cases = [];
    const author = people.participant;
    const inputs = [
      ['goal-plan', 'portfolio-17', 'item-3', 4, utf8('Ik wil mijn diploma halen.')],
      ['diary', 'portfolio-17', 'item-9', 0, new Uint8Array(0)],
    ];
    for (const [index, [resourceType, resourceId, itemId, revision, plaintext]] of inputs.entries()) {
      const draw = rng(`envelope/${index}`);
      const key = await draw(32);
      const envelope = await lib.sealEnvelope(author, key, {
        resourceType,
        resourceId,
        itemId,
        revision,
        plaintext,
        rng: draw,
      });
      const ad = lib.envelopeAssociatedData(
        { resourceType, resourceId, itemId, revision, author: author.person },
        await lib.keyId(key),
      );
      cases.push({
        author: 'participant',
        content_key: hex(key),
        resource_type: resourceType,
        resource_id: resourceId,
        item_id: itemId,
        revision,
        plaintext: hex(plaintext),
        ad: hex(ad),
        envelope: hex(envelope),
      });
    }
    const draw = rng('envelope/message');
    const key = await draw(32);
    const message = await lib.encryptMessage(people.coach, key, {
      conversationId: 'conversation-5',
      messageId: 'msg-0001',
      plaintext: utf8('Hoe gaat het vandaag?'),
      rng: draw,
    });
    put('envelopes', 'Signed envelopes with their associated data; the message is a chat message', {
      cases,
      message: {
        author: 'coach',
        conversation_key: hex(key),
        conversation_id: 'conversation-5',
        message_id: 'msg-0001',
        plaintext: hex(utf8('Hoe gaat het vandaag?')),
        envelope: hex(message),
      },
    });
  }

  // items
  {
    const author = people.participant;
    const portfolioKey = await rng('items/portfolio-key')(32);
    const audiences = {
      only_me: lib.Audience.onlyMe(),
      coaches: lib.Audience.coaches(portfolioKey),
      chosen: lib.Audience.chosen([people.budget_coach.person]),
    };
    const cases = [];
    for (const [name, audience] of Object.entries(audiences)) {
      const sealed = await lib.encryptItem(author, audience, {
        resourceType: 'portfolio-entry',
        resourceId: 'portfolio-17',
        itemId: `entry-${name}`,
        revision: 1,
        plaintext: utf8(`entry for ${name}`),
        rng: rng(`items/${name}`),
      });
      cases.push({
        audience: name,
        author: 'participant',
        resource_type: 'portfolio-entry',
        resource_id: 'portfolio-17',
        item_id: `entry-${name}`,
        revision: 1,
        plaintext: hex(utf8(`entry for ${name}`)),
        item_key_id: hex(sealed.itemKeyId),
        envelope: hex(sealed.envelope),
        wraps: sealed.wraps.map(hex),
        grants: sealed.grants.map(hex),
        readers: name === 'chosen' ? ['budget_coach'] : [],
      });
    }
    put(
      'items',
      'Items with each audience: only me (user key), my coaches (portfolio key), chosen people (grants)',
      { portfolio_key: hex(portfolioKey), cases },
    );
  }

  // grants
  {
    const draw = rng('grants');
    const key = await draw(32);
    const grant = await lib.makeGrant(people.participant, {
      resourceType: 'portfolio',
      resourceId: 'portfolio-17',
      epoch: 3,
      key,
      recipient: people.coach.person,
      rng: draw,
    });
    put('grants', 'A portfolio epoch key granted by the participant to her coach', {
      granter: 'participant',
      recipient: 'coach',
      resource_type: 'portfolio',
      resource_id: 'portfolio-17',
      epoch: 3,
      key: hex(key),
      grant: hex(grant),
    });
  }

  // epochs
  {
    const draw = rng('epochs');
    const chain = [];
    let previousKey = null;
    for (const epoch of [1, 2, 3]) {
      const made = await lib.newEpoch(people.coach, {
        resourceType: 'conversation',
        resourceId: 'conversation-5',
        epoch,
        previousKey,
        rng: draw,
      });
      chain.push({ epoch, key: hex(made.key), record: hex(made.record) });
      previousKey = made.key;
    }
    put('epochs', 'Three epochs of a conversation, each carrying the previous key', {
      creator: 'coach',
      resource_type: 'conversation',
      resource_id: 'conversation-5',
      chain,
    });
  }

  // records
  {
    const draw = rng('records');
    const organisation = await lib.SigningKey.generate({ rng: draw });
    const programme = await lib.SigningKey.generate({ rng: draw });
    const recovery = await lib.ProgrammeRecoveryKey.generate({ rng: draw });
    const coach = people.coach.person;
    const budget = people.budget_coach.person;
    const common = { organisation_id: 'org-smart-mama', programme_id: 'programme-emmen', signed_by: 'person-staff' };
    const meta = (serial, issuedAt) => ({
      organisationId: common.organisation_id,
      programmeId: common.programme_id,
      signedBy: common.signed_by,
      serial,
      issuedAt,
    });
    const certificate = await organisation.signRecord(
      lib.RecordKind.PROGRAMME_KEY_CERTIFICATE,
      { ed25519Public: programme.public },
      meta(1, 1767225600),
    );
    const assignment = await programme.signRecord(
      lib.RecordKind.COACH_ASSIGNMENT,
      {
        participantId: 'person-participant',
        coachId: coach.userId,
        coachFingerprint: await coach.fingerprint(),
        role: lib.CoachRole.INDIVIDUAL,
        validFrom: 1767225600,
        validUntil: 0,
      },
      meta(7, 1767225700),
    );
    const roster = await programme.signRecord(
      lib.RecordKind.DUTY_ROSTER,
      {
        validFrom: 1767225600,
        validUntil: 1767830400,
        entries: [
          { personId: coach.userId, fingerprint: await coach.fingerprint(), duty: lib.Duty.COACH, start: 1767225600, until: 1767254400 },
          { personId: budget.userId, fingerprint: await budget.fingerprint(), duty: lib.Duty.SUPERVISOR, start: 1767225600, until: 1767830400 },
        ],
      },
      meta(2, 1767225800),
    );
    const recoveryRecord = await programme.signRecord(
      lib.RecordKind.PROGRAMME_RECOVERY_KEY,
      { x25519Public: recovery.public },
      meta(1, 1767225900),
    );
    const participant = people.participant.person;
    const group = await programme.signRecord(
      lib.RecordKind.GROUP_MEMBERSHIP,
      {
        groupId: 'group-emmen-1',
        validFrom: 1767225600,
        validUntil: 0,
        members: [
          { personId: participant.userId, fingerprint: await participant.fingerprint(), role: lib.GroupRole.PARTICIPANT },
          { personId: coach.userId, fingerprint: await coach.fingerprint(), role: lib.GroupRole.TRAINER },
        ],
      },
      meta(3, 1767226000),
    );
    put(
      'records',
      'Signed records: programme key certificate (organisation key), coach assignment, duty roster, programme recovery key and group membership (programme key); the programme key sealed to staff',
      {
        organisation_public: hex(organisation.public),
        programme_public: hex(programme.public),
        recovery_public: hex(recovery.public),
        certificate: hex(certificate),
        coach_assignment: hex(assignment),
        duty_roster: hex(roster),
        recovery_key: hex(recoveryRecord),
        group_membership: hex(group),
        programme_key_for_staff: hex(await programme.sealFor(people.staff.person, { rng: draw })),
        staff: 'staff',
        ...common,
      },
    );
  }

  // intake
  {
    const draw = rng('intake');
    const organisation = await lib.SigningKey.generate({ rng: draw });
    const programme = await lib.SigningKey.generate({ rng: draw });
    const coach = people.coach.person;
    const staff = people.staff.person;
    const common = { organisation_id: 'org-smart-mama', programme_id: 'programme-emmen', signed_by: 'person-staff' };
    const meta = (serial, issuedAt) => ({
      organisationId: common.organisation_id,
      programmeId: common.programme_id,
      signedBy: common.signed_by,
      serial,
      issuedAt,
    });
    const certificate = await organisation.signRecord(
      lib.RecordKind.PROGRAMME_KEY_CERTIFICATE,
      { ed25519Public: programme.public },
      meta(1, 1767225600),
    );
    const team = await programme.signRecord(
      lib.RecordKind.INTAKE_TEAM,
      {
        validFrom: 1767225600,
        validUntil: 0,
        readers: [
          { personId: staff.userId, fingerprint: await staff.fingerprint() },
          { personId: coach.userId, fingerprint: await coach.fingerprint() },
        ],
      },
      meta(4, 1767226100),
    );
    const applicationId = 'application-1';
    const plaintext = utf8('Ik wil graag meedoen. Mijn zoon is één jaar.');
    const sealed = await lib.sealIntakeLetter([staff, coach], {
      programmeId: 'programme-emmen',
      applicationId,
      plaintext,
      rng: draw,
    });
    put('intake', "An intake team record (kind 0x06, programme key) naming two readers, and an application's letter sealed to both", {
      organisation_public: hex(organisation.public),
      programme_public: hex(programme.public),
      certificate: hex(certificate),
      intake_team: hex(team),
      readers: ['staff', 'coach'],
      application_id: applicationId,
      plaintext: hex(plaintext),
      letter: hex(sealed.letter),
      keys: Object.fromEntries(Object.entries(sealed.keys).map(([id, box]) => [id, hex(box)])),
      ...common,
    });
  }

  // pinned keys
  {
    const coach = people.coach.person;
    const entries = [
      { kind: 1, subjectId: coach.userId, keyMaterial: concat(coach.x25519Public, coach.ed25519Public), confirmed: true },
      { kind: 3, subjectId: 'programme-emmen', keyMaterial: await rng('pinned/programme')(32), confirmed: false },
    ];
    const record = await lib.sealPinnedKeys(people.participant, 5, entries, { rng: rng('pinned') });
    put('pinned_keys', "The participant's pinned keys, revision 5", {
      owner: 'participant',
      revision: 5,
      record: hex(record),
      entries: entries.map((e) => ({
        kind: e.kind,
        subject_id: e.subjectId,
        key_material: hex(e.keyMaterial),
        confirmed: e.confirmed,
      })),
    });
  }

  // recovery
  {
    const codes = [];
    for (const index of [0, 1, 2]) {
      const code = await lib.RecoveryCode.generate({ rng: rng(`recovery/${index}`) });
      codes.push({
        secret: hex(code.secret),
        text: await code.text(),
        kek: hex(await code.kek()),
        auth_secret: hex(await code.authSecret()),
        auth_proof: hex(await code.authProof()),
      });
    }
    const text = codes[0].text;
    const typed = [
      text.toLowerCase(),
      text.replaceAll('-', ' '),
      text.replaceAll('-', ''),
      text.replaceAll('0', 'O').replaceAll('1', 'l'),
      text.slice(0, -1) + (text.at(-1) !== '0' ? '0' : '1'),
      text.slice(0, -5),
      'U' + text.slice(1),
    ];
    const parse = [];
    for (const value of typed) {
      try {
        parse.push({ typed: value, secret: hex((await lib.RecoveryCode.parse(value)).secret) });
      } catch {
        parse.push({ typed: value, secret: null });
      }
    }
    const draw = rng('recovery/programme');
    const recovery = await lib.ProgrammeRecoveryKey.generate({ rng: draw });
    const participant = people.participant;
    const copy = await lib.Identity.sealForProgrammeRecovery(
      participant.bundle.toBytes(),
      secretsOf.participant,
      recovery.public,
      { userId: participant.userId, rng: draw },
    );
    const officerBox = await recovery.sealFor(people.officer.person, { rng: draw });
    const devicePrivate = await draw(32);
    const devicePublic = await lib.x25519Public(devicePrivate);
    const resealed = await recovery.resealToDevice(copy, {
      userId: participant.userId,
      userKeyId: participant.userKeyId,
      devicePublic,
      rng: draw,
    });
    put(
      'recovery',
      'Recovery codes with check and derivations, typed variants, and programme recovery: copy for the recovery key, recovery key for the officer, user key to a new device',
      {
        codes,
        parse,
        programme: {
          participant: 'participant',
          officer: 'officer',
          recovery_public: hex(recovery.public),
          copy: hex(copy),
          officer_box: hex(officerBox),
          device_private: hex(devicePrivate),
          device_public: hex(devicePublic),
          device_fingerprint: hex(await lib.fingerprint(5, participant.userId, devicePublic)),
          resealed: hex(resealed),
        },
      },
    );
  }

  // rotation
  {
    const participant = people.participant;
    const entry = files.identities.people.participant;
    const secrets = secretsOf.participant;
    const draw = rng('rotation');
    const itemKey = await draw(32);
    const itemKeyId = await lib.keyId(itemKey);
    const wrap = await participant.wrapUnderUserKey(lib.SecretPurpose.ITEM_KEY, itemKey, itemKeyId, { rng: draw });
    const kept = await lib.Identity.rotateUserKey(participant.bundle.toBytes(), secrets, {
      userId: participant.userId,
      recoveryCode: entry.recovery_code,
      rng: draw,
    });
    const rewrapped = await kept.rewrapItemKey(wrap, itemKeyId, { rng: draw });
    const pinned = await kept.resealPinnedKeys(unhex(files.pinned_keys.record), { minRevision: 5, rng: draw });
    const recoveryPrivate = await draw(32);
    const copy = await kept.sealForProgrammeRecovery(await lib.x25519Public(recoveryPrivate), { rng: draw });
    kept.wipe();
    const fresh = await lib.Identity.rotateUserKey(participant.bundle.toBytes(), secrets, {
      userId: participant.userId,
      rng: rng('rotation/new-code'),
    });
    fresh.wipe();
    put(
      'rotation',
      'User-key rotation of the participant (withdrawn programme-recovery consent): with her own recovery code kept, an only-me item key, her pinned keys and a kept consent copy re-wrapped; and without her code, so a new one is made. Random draws in order: item key, its old wrap, new user key, [new code], the three bundle boxes, then each re-wrap',
      {
        participant: 'participant',
        old_user_key_id: hex(participant.userKeyId),
        item_key: hex(itemKey),
        item_key_id: hex(itemKeyId),
        old_item_wrap: hex(wrap),
        kept_code: {
          bundle: hex(kept.bundle),
          new_user_key_id: hex(kept.newUserKeyId),
          recovery_auth_proof: hex(kept.recoveryAuthProof),
          item_wrap: hex(rewrapped),
          pinned_revision: pinned.revision,
          pinned_record: hex(pinned.record),
          recovery_private: hex(recoveryPrivate),
          recovery_copy: hex(copy),
        },
        new_code: {
          bundle: hex(fresh.bundle),
          new_user_key_id: hex(fresh.newUserKeyId),
          recovery_code: await fresh.recoveryCode.text(),
          recovery_auth_proof: hex(fresh.recoveryAuthProof),
        },
      },
    );
  }

  // attachments
  {
    const cases = [];
    for (const size of [0, 100, lib.CHUNK_BYTES, lib.CHUNK_BYTES + 1]) {
      const draw = rng(`attachments/${size}`);
      const itemKey = await draw(32);
      const data = await draw(size);
      const { streamSalt, parts } = await lib.encryptAttachment(itemKey, [data], { rng: draw });
      const meta = lib.encodeAttachmentMeta({
        fileName: `photo-${size}.jpg`,
        mediaType: 'image/jpeg',
        size,
        streamSalt,
      });
      cases.push({
        item_key: hex(itemKey),
        size,
        sha256: hex(await lib.sha256(data)),
        meta: hex(meta),
        stream: lib.b64uEncode(concat(...parts)),
      });
    }
    put(
      'attachments',
      "Attachment streams (64 KiB chunks) and their metadata; each case's random stream draws the item key, then the data, then the stream salt",
      { cases },
    );
  }

  // vouches
  {
    const subject = people.participant.person;
    const drawn = await rng('vouch/former')(64);
    const former = new lib.Person(subject.userId, drawn.slice(0, 32), drawn.slice(32));
    const vouch = await lib.makeVouch(people.coach, { subject, former, vouchedAt: 1_780_000_000 });
    put('vouches', "Her coach vouches, after checking in person, for the participant's new key; her former key is random", {
      voucher: 'coach',
      subject: 'participant',
      former_x25519_public: hex(former.x25519Public),
      former_ed25519_public: hex(former.ed25519Public),
      vouched_at: 1_780_000_000,
      vouch: hex(vouch),
    });
  }

  // score_consents
  {
    const her = people.participant;
    const text = 'Ik ga akkoord dat mijn programma mijn scores gebruikt. \u00e9\u00e9n';
    const statements = [];
    for (const [kind, serial] of [['agree', 1_780_000_000_000], ['withdraw', 1_780_000_100_000]]) {
      const statement = await lib.signScoreConsent(her, { programmeId: 'programme-a', kind, text, language: 'nl', serial });
      statements.push({ kind, serial, statement: hex(statement) });
    }
    put('score_consents', "The participant's signed 'agree' and 'withdraw' to report her scores (kind 0x0F)", {
      signer: 'participant',
      programme_id: 'programme-a',
      language: 'nl',
      text,
      text_sha256: hex(await lib.consentTextSha256(text)),
      statements,
    });
  }

  put('encoding', 'base64url without padding, and texts a decoder must refuse', {
    valid: B64U_CASES.map((value) => ({ hex: value, text: lib.b64uEncode(unhex(value)) })),
    invalid: B64U_INVALID,
  });
  return files;
}

async function main() {
  const { writeFile, mkdir } = await import('node:fs/promises');
  const lib = await import('../../../frontend/static/js/crypto/index.js');
  const folder = new URL('../vectors/js/', import.meta.url);
  await mkdir(folder, { recursive: true });
  for (const [name, body] of Object.entries(await generate(lib, 'js'))) {
    await writeFile(new URL(`${name}.json`, folder), `${JSON.stringify(body, null, 1)}\n`);
  }
}

if (globalThis.process?.argv?.[1]?.endsWith('vectorgen.mjs') && process.argv[2] === '--write') {
  await main();
}
