// Opens every golden vector file of one origin with the browser code, and checks each structure
// opens to what it claims. Shared by the Node tests and the Chromium page, so `lib` (the served
// crypto module) and `load(origin, name)` (reads a vector file) are passed in.

import { hex, unhex } from './vectorgen.mjs';

function check(condition, message) {
  if (!condition) throw new Error(`vector check failed: ${message}`);
}

async function refuses(lib, action, message) {
  try {
    await action();
  } catch (error) {
    check(error instanceof lib.CryptoError, `${message}: threw ${error?.name} instead of CryptoError`);
    return;
  }
  throw new Error(`vector check failed: ${message} was accepted`);
}

const encoder = new TextEncoder();

export async function openVectors(lib, load, origin) {
  const people = (await load(origin, 'identities')).people;
  const unlocked = {};
  const person = async (name) => {
    if (!unlocked[name]) {
      const entry = people[name];
      unlocked[name] = await lib.Identity.unlock(unhex(entry.bundle), entry.login, entry.password, {
        userId: entry.user_id,
        allowTestParams: true,
      });
    }
    return unlocked[name];
  };
  const opened = [];
  const step = async (name, action) => {
    await action();
    opened.push(name);
  };

  await step('kdf', async () => {
    const vectors = await load(origin, 'kdf');
    for (const item of vectors.logins) {
      if (item.normalised === null) await refuses(lib, () => lib.normaliseLogin(item.input), `login ${item.input}`);
      else check(lib.normaliseLogin(item.input) === item.normalised, `login ${item.input}`);
    }
    for (const item of vectors.derivations) {
      const params = lib.KdfParams.fromBytes(unhex(item.params));
      check(hex(await lib.loginSalt(item.login, params.seed)) === item.salt, 'salt');
      const secrets = await lib.deriveLoginSecrets(item.login, item.password, params, { allowTestParams: true });
      check(hex(secrets.masterKey) === item.master_key, 'master key');
      check(hex(secrets.authSecret) === item.auth_secret, 'auth secret');
      check(hex(await secrets.kek()) === item.kek, 'kek');
      check(hex(secrets.authProof()) === item.auth_proof, 'auth proof');
      if (!item.minimum_met) {
        await refuses(lib, () => lib.deriveLoginSecrets(item.login, item.password, params), 'below minimum');
      }
    }
    for (const encoded of vectors.refused_params.below_minimum) {
      const params = lib.KdfParams.fromBytes(unhex(encoded));
      await refuses(lib, () => lib.deriveLoginSecrets('mama.noor', 'password', params), 'below minimum');
    }
    for (const encoded of vectors.refused_params.above_maximum) {
      const params = lib.KdfParams.fromBytes(unhex(encoded));
      await refuses(
        lib,
        () => lib.deriveLoginSecrets('mama.noor', 'password', params, { allowTestParams: true }),
        'above maximum',
      );
    }
  });

  await step('identities', async () => {
    for (const [name, entry] of Object.entries(people)) {
      const identity = await person(name);
      check(hex(identity.userKeyId) === entry.user_key_id, 'user key id');
      check(hex(identity.person.x25519Public) === entry.x25519_public, 'x25519');
      check(hex(identity.person.ed25519Public) === entry.ed25519_public, 'ed25519');
      check(hex(await identity.fingerprint()) === entry.fingerprint, 'fingerprint');
      check((await identity.person.fingerprintText()) === entry.fingerprint_text, 'fingerprint text');
      const published = await lib.Person.fromPublicIdentity(unhex(entry.public_identity));
      check(hex(published.ed25519Public) === entry.ed25519_public && published.userId === entry.user_id, 'public identity');
      const params = lib.KdfParams.fromBytes(unhex(entry.params));
      const secrets = await lib.deriveLoginSecrets(entry.login, entry.password, params, { allowTestParams: true });
      check(hex(secrets.authProof()) === entry.auth_proof, 'auth proof');
      const code = await lib.RecoveryCode.parse(entry.recovery_code);
      check(hex(await code.authProof()) === entry.recovery_auth_proof, 'recovery auth proof');
      const recovered = await lib.Identity.recover(unhex(entry.bundle), entry.recovery_code, secrets, {
        userId: entry.user_id,
      });
      check(hex(recovered.identity.userKeyId) === entry.user_key_id, 'recovered user key');
    }
  });

  await step('fingerprints', async () => {
    for (const item of (await load(origin, 'fingerprints')).cases) {
      const value = await lib.fingerprint(item.kind, item.subject_id, unhex(item.key_material));
      check(hex(value) === item.fingerprint, 'fingerprint');
      check(lib.fingerprintText(value) === item.text, 'text');
      check(lib.fingerprintQr(value) === item.qr, 'qr');
      check(hex(lib.parseFingerprintQr(item.qr)) === item.fingerprint, 'qr parse');
    }
  });

  await step('boxes', async () => {
    const vectors = await load(origin, 'boxes');
    for (const item of vectors.secret) {
      const opened = await lib.openSecret(unhex(item.box), unhex(item.key), item.purpose, unhex(item.context));
      check(hex(opened) === item.plaintext, 'secret box');
    }
    for (const item of vectors.sealed) {
      const opened = await lib.openSealed(
        unhex(item.box),
        unhex(item.recipient_private),
        unhex(item.recipient_public),
        item.purpose,
        unhex(item.context),
      );
      check(hex(opened) === item.plaintext, 'sealed box');
    }
  });

  await step('envelopes', async () => {
    const vectors = await load(origin, 'envelopes');
    for (const item of vectors.cases) {
      const author = (await person(item.author)).person;
      const context = {
        resourceType: item.resource_type,
        resourceId: item.resource_id,
        itemId: item.item_id,
        revision: item.revision,
        author,
      };
      const key = unhex(item.content_key);
      check(hex(lib.envelopeAssociatedData(context, await lib.keyId(key))) === item.ad, 'ad');
      check(hex(lib.envelopeKeyId(unhex(item.envelope))) === hex(await lib.keyId(key)), 'key id');
      check(hex(await lib.openEnvelope(unhex(item.envelope), key, context)) === item.plaintext, 'envelope');
    }
    const message = vectors.message;
    const plaintext = await lib.decryptMessage(unhex(message.envelope), unhex(message.conversation_key), {
      conversationId: message.conversation_id,
      messageId: message.message_id,
      author: (await person(message.author)).person,
    });
    check(hex(plaintext) === message.plaintext, 'message');
  });

  await step('items', async () => {
    const vectors = await load(origin, 'items');
    const participant = await person('participant');
    for (const item of vectors.cases) {
      const audienceKey = item.audience === 'coaches' ? unhex(vectors.portfolio_key) : participant.userKey;
      const itemKey = await lib.unwrapItemKey(unhex(item.wraps[0]), audienceKey, unhex(item.item_key_id));
      const context = {
        resourceType: item.resource_type,
        resourceId: item.resource_id,
        itemId: item.item_id,
        revision: item.revision,
        author: participant.person,
      };
      check(hex(await lib.openEnvelope(unhex(item.envelope), itemKey, context)) === item.plaintext, 'item');
      check(item.grants.length === item.readers.length, 'grants');
      for (const [index, grant] of item.grants.entries()) {
        const reader = await person(item.readers[index]);
        const { key } = await lib.openGrant(unhex(grant), reader, [participant.person.ed25519Public]);
        check(hex(await lib.openEnvelope(unhex(item.envelope), key, context)) === item.plaintext, 'chosen reader');
      }
    }
  });

  await step('grants', async () => {
    const vectors = await load(origin, 'grants');
    const granter = await person(vectors.granter);
    const recipient = await person(vectors.recipient);
    const { grant, key } = await lib.openGrant(unhex(vectors.grant), recipient, [granter.person.ed25519Public]);
    check(hex(key) === vectors.key, 'grant key');
    check(grant.resourceType === vectors.resource_type && grant.epoch === vectors.epoch, 'grant fields');
    check(lib.readGrant(unhex(vectors.grant)).resourceId === vectors.resource_id, 'read grant');
  });

  await step('epochs', async () => {
    const vectors = await load(origin, 'epochs');
    const creator = (await person(vectors.creator)).person.ed25519Public;
    const chain = vectors.chain;
    for (let i = chain.length - 1; i > 0; i -= 1) {
      const previous = await lib.openPreviousKey(unhex(chain[i].record), unhex(chain[i].key), [creator]);
      check(hex(previous) === chain[i - 1].key, `epoch ${chain[i].epoch}`);
    }
    const first = await lib.verifyEpoch(unhex(chain[0].record), [creator]);
    check(first.epoch === 1, 'first epoch');
  });

  await step('records', async () => {
    const vectors = await load(origin, 'records');
    const programmePublic = await lib.verifyProgrammeKey(
      unhex(vectors.certificate),
      unhex(vectors.organisation_public),
      vectors.programme_id,
    );
    check(hex(programmePublic) === vectors.programme_public, 'certificate');
    const coach = await person('coach');
    const assignment = await lib.verifyRecord(unhex(vectors.coach_assignment), programmePublic, lib.RecordKind.COACH_ASSIGNMENT);
    check(hex(assignment.body.coachFingerprint) === hex(await coach.fingerprint()), 'assignment');
    check(assignment.serial === 7 && assignment.signedBy === vectors.signed_by, 'assignment fields');
    const roster = await lib.verifyRecord(unhex(vectors.duty_roster), programmePublic, lib.RecordKind.DUTY_ROSTER);
    check(roster.body.entries.map((e) => e.duty).join() === '1,2', 'roster');
    const recovery = await lib.verifyRecord(unhex(vectors.recovery_key), programmePublic, lib.RecordKind.PROGRAMME_RECOVERY_KEY);
    check(hex(recovery.body.x25519Public) === vectors.recovery_public, 'recovery key record');
    const group = await lib.verifyRecord(unhex(vectors.group_membership), programmePublic, lib.RecordKind.GROUP_MEMBERSHIP);
    check(group.serial === 3 && group.body.groupId === 'group-emmen-1' && group.body.validUntil === 0, 'group record');
    check(group.body.members.map((m) => `${m.personId}:${m.role}`).join() === `person-participant:1,${coach.userId}:2`, 'group members');
    check(hex(group.body.members[1].fingerprint) === hex(await coach.fingerprint()), 'group member key');
    const staff = await person(vectors.staff);
    const key = await lib.SigningKey.open(unhex(vectors.programme_key_for_staff), staff, programmePublic);
    check(hex(key.public) === vectors.programme_public, 'signing key for staff');
  });

  await step('intake', async () => {
    const vectors = await load(origin, 'intake');
    const programmePublic = await lib.verifyProgrammeKey(
      unhex(vectors.certificate),
      unhex(vectors.organisation_public),
      vectors.programme_id,
    );
    const team = await lib.verifyRecord(unhex(vectors.intake_team), programmePublic, lib.RecordKind.INTAKE_TEAM);
    check(team.serial === 4 && team.body.validUntil === 0 && team.body.readers.length === 2, 'intake team');
    for (const [index, name] of vectors.readers.entries()) {
      const reader = await person(name);
      check(team.body.readers[index].personId === reader.userId, 'intake reader');
      check(hex(team.body.readers[index].fingerprint) === hex(await reader.fingerprint()), 'intake reader key');
      const plaintext = await lib.openIntakeLetter(unhex(vectors.letter), unhex(vectors.keys[reader.userId]), reader, {
        programmeId: vectors.programme_id,
        applicationId: vectors.application_id,
      });
      check(hex(plaintext) === vectors.plaintext, 'intake letter');
    }
    await refuses(
      lib,
      () => lib.verifyRecord(unhex(vectors.intake_team), programmePublic, lib.RecordKind.GROUP_MEMBERSHIP),
      'intake team as another kind',
    );
    const staff = await person('staff');
    await refuses(
      lib,
      () => lib.openIntakeLetter(unhex(vectors.letter), unhex(vectors.keys[staff.userId]), staff, {
        programmeId: vectors.programme_id,
        applicationId: 'application-2',
      }),
      'intake letter of another application',
    );
  });

  await step('pinned_keys', async () => {
    const vectors = await load(origin, 'pinned_keys');
    const owner = await person(vectors.owner);
    const { revision, entries } = await lib.openPinnedKeys(owner, unhex(vectors.record), { minRevision: 5 });
    check(revision === vectors.revision, 'revision');
    const simple = entries.map((e) => ({
      kind: e.kind,
      subject_id: e.subjectId,
      key_material: hex(e.keyMaterial),
      confirmed: e.confirmed,
    }));
    check(JSON.stringify(simple) === JSON.stringify(vectors.entries), 'entries');
  });

  await step('recovery', async () => {
    const vectors = await load(origin, 'recovery');
    for (const item of vectors.codes) {
      const code = new lib.RecoveryCode(unhex(item.secret));
      check((await code.text()) === item.text, 'code text');
      check(hex(await code.kek()) === item.kek, 'recovery kek');
      check(hex(await code.authSecret()) === item.auth_secret, 'recovery auth');
      check(hex(await code.authProof()) === item.auth_proof, 'recovery proof');
    }
    for (const item of vectors.parse) {
      if (item.secret === null) await refuses(lib, () => lib.RecoveryCode.parse(item.typed), `typed ${item.typed}`);
      else check(hex((await lib.RecoveryCode.parse(item.typed)).secret) === item.secret, `typed ${item.typed}`);
    }
    const flow = vectors.programme;
    const participant = await person(flow.participant);
    const officer = await person(flow.officer);
    const recoveryKey = await lib.ProgrammeRecoveryKey.open(unhex(flow.officer_box), officer, unhex(flow.recovery_public));
    const entry = people[flow.participant];
    const newSecrets = await lib.deriveLoginSecrets(entry.login, 'een nieuw wachtwoord', lib.KdfParams.fromBytes(unhex(entry.params)), {
      allowTestParams: true,
    });
    const device = {
      privateKey: await lib.importX25519Private(unhex(flow.device_private)),
      publicKey: unhex(flow.device_public),
    };
    const onDevice = await lib.Identity.recoverOnDevice(unhex(entry.bundle), unhex(flow.resealed), device, newSecrets, {
      userId: entry.user_id,
    });
    check(hex(onDevice.identity.userKeyId) === hex(participant.userKeyId), 'device recovery');
    const fresh = await lib.newDeviceKey();
    const resealed = await recoveryKey.resealToDevice(unhex(flow.copy), {
      userId: participant.userId,
      userKeyId: participant.userKeyId,
      devicePublic: fresh.publicKey,
    });
    const again = await lib.Identity.recoverOnDevice(unhex(entry.bundle), resealed, fresh, newSecrets, { userId: entry.user_id });
    check(hex(again.identity.userKeyId) === hex(participant.userKeyId), 'officer reseal');
    const fp = await lib.fingerprint(lib.FingerprintKind.RECOVERY_DEVICE_KEY, participant.userId, unhex(flow.device_public));
    check(hex(fp) === flow.device_fingerprint, 'device fingerprint');
  });

  await step('rotation', async () => {
    const vectors = await load(origin, 'rotation');
    const entry = people[vectors.participant];
    const old = await person(vectors.participant);
    check(hex(old.userKeyId) === vectors.old_user_key_id, 'old user key id');
    const kept = vectors.kept_code;
    const fresh = vectors.new_code;
    const options = { userId: entry.user_id, allowTestParams: true };
    const unlocked = await lib.Identity.unlock(unhex(kept.bundle), entry.login, entry.password, options);
    check(hex(unlocked.userKeyId) === kept.new_user_key_id, 'rotated key under the password');
    check(kept.new_user_key_id !== vectors.old_user_key_id, 'a new user key');
    check(hex(await unlocked.fingerprint()) === hex(await old.fingerprint()), 'same identity keys');
    check(kept.recovery_auth_proof === entry.recovery_auth_proof, 'she keeps her recovery code');
    const params = lib.KdfParams.fromBytes(unhex(entry.params));
    const newSecrets = await lib.deriveLoginSecrets(entry.login, 'een nieuw wachtwoord', params, { allowTestParams: true });
    const viaCode = await lib.Identity.recover(unhex(kept.bundle), entry.recovery_code, newSecrets, { userId: entry.user_id });
    check(hex(viaCode.identity.userKeyId) === kept.new_user_key_id, 'rotated key under her recovery code');
    const itemKeyId = unhex(vectors.item_key_id);
    check(hex(await lib.unwrapItemKey(unhex(kept.item_wrap), unlocked.userKey, itemKeyId)) === vectors.item_key, 'item key');
    await refuses(lib, () => lib.unwrapItemKey(unhex(kept.item_wrap), old.userKey, itemKeyId), 'old key on the new wrap');
    const pinned = await lib.openPinnedKeys(unlocked, unhex(kept.pinned_record), { minRevision: 6 });
    check(pinned.revision === kept.pinned_revision, 'pinned revision');
    const before = await lib.openPinnedKeys(old, unhex((await load(origin, 'pinned_keys')).record));
    check(JSON.stringify(pinned.entries.map((e) => [e.kind, e.subjectId, hex(e.keyMaterial), e.confirmed])) ===
      JSON.stringify(before.entries.map((e) => [e.kind, e.subjectId, hex(e.keyMaterial), e.confirmed])), 'pinned entries');
    await refuses(lib, () => lib.openPinnedKeys(old, unhex(kept.pinned_record)), 'old key on the new pinned keys');
    const recoveryPrivate = unhex(kept.recovery_private);
    const writer = new TextEncoder().encode(entry.user_id);
    const context = new Uint8Array(16 + 2 + writer.length);
    context.set(unhex(kept.new_user_key_id), 0);
    context.set([writer.length >> 8, writer.length & 0xff], 16);
    context.set(writer, 18);
    const copy = await lib.openSealed(
      unhex(kept.recovery_copy),
      await lib.importX25519Private(recoveryPrivate),
      await lib.x25519Public(recoveryPrivate),
      lib.SealedPurpose.PROGRAMME_RECOVERY,
      context,
    );
    check(hex(await lib.keyId(copy)) === kept.new_user_key_id, 'kept consent copy');
    const renewed = await lib.Identity.recover(unhex(fresh.bundle), fresh.recovery_code, newSecrets, { userId: entry.user_id });
    check(hex(renewed.identity.userKeyId) === fresh.new_user_key_id, 'new recovery code');
    check(hex(await (await lib.RecoveryCode.parse(fresh.recovery_code)).authProof()) === fresh.recovery_auth_proof, 'new code proof');
    await refuses(lib, () => lib.Identity.recover(unhex(fresh.bundle), entry.recovery_code, newSecrets, { userId: entry.user_id }), 'old code');
    const again = await lib.Identity.unlock(unhex(fresh.bundle), entry.login, entry.password, options);
    check(hex(again.userKeyId) === fresh.new_user_key_id, 'password after a new code');
  });

  await step('attachments', async () => {
    for (const item of (await load(origin, 'attachments')).cases) {
      const meta = lib.decodeAttachmentMeta(unhex(item.meta));
      check(meta.size === item.size, 'meta size');
      const stream = lib.b64uDecode(item.stream);
      const pieces = [];
      for (let i = 0; i < stream.length; i += 5000) pieces.push(stream.slice(i, i + 5000));
      const out = [];
      for await (const chunk of lib.decryptAttachment(unhex(item.item_key), pieces, meta)) out.push(chunk);
      const data = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
      let offset = 0;
      for (const chunk of out) {
        data.set(chunk, offset);
        offset += chunk.length;
      }
      check(data.length === item.size, 'attachment size');
      check(hex(await lib.sha256(data)) === item.sha256, 'attachment data');
    }
  });

  await step('vouches', async () => {
    const vectors = await load(origin, 'vouches');
    const coach = (await person(vectors.voucher)).person;
    const subject = (await person(vectors.subject)).person;
    const former = new lib.Person(subject.userId, unhex(vectors.former_x25519_public), unhex(vectors.former_ed25519_public));
    const vouch = await lib.verifyVouch(unhex(vectors.vouch), [coach.ed25519Public]);
    check(vouch.subjectId === subject.userId && vouch.voucherId === coach.userId, 'vouch ids');
    check(hex(vouch.newFingerprint) === hex(await subject.fingerprint()), 'vouch new fingerprint');
    check(hex(vouch.formerFingerprint) === hex(await former.fingerprint()), 'vouch former fingerprint');
    check(vouch.vouchedAt === vectors.vouched_at, 'vouch time');
    await refuses(lib, () => lib.verifyVouch(unhex(vectors.vouch), [subject.ed25519Public]), 'vouch by another key');
  });

  await step('score_consents', async () => {
    const vectors = await load(origin, 'score_consents');
    const her = (await person(vectors.signer)).person;
    const other = (await person('coach')).person;
    check(hex(await lib.consentTextSha256(vectors.text)) === vectors.text_sha256, 'consent text hash');
    for (const item of vectors.statements) {
      const statement = await lib.verifyScoreConsent(unhex(item.statement), her.ed25519Public);
      check(statement.programmeId === vectors.programme_id && statement.personId === her.userId, 'consent ids');
      check(statement.kind === item.kind && statement.serial === item.serial && statement.language === 'nl', 'consent fields');
      check(hex(statement.textSha256) === vectors.text_sha256, 'consent text');
      await refuses(lib, () => lib.verifyScoreConsent(unhex(item.statement), other.ed25519Public), 'consent by another key');
    }
  });

  await step('encoding', async () => {
    const vectors = await load(origin, 'encoding');
    for (const item of vectors.valid) {
      check(lib.b64uEncode(unhex(item.hex)) === item.text, 'b64u encode');
      check(hex(lib.b64uDecode(item.text)) === item.hex, 'b64u decode');
    }
    for (const text of vectors.invalid) await refuses(lib, () => lib.b64uDecode(text), `b64u ${text}`);
  });

  check(encoder.encode('x').length === 1, 'sanity');
  return opened;
}
