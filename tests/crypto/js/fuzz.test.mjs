// Parser fuzz and mutation properties for the browser code: random and mutated inputs to every
// parser must give a result or a CryptoError, never anything else; a mutated signed structure is
// always refused. The random stream is seeded, so a failure can be replayed.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, test } from 'node:test';

import * as lib from '../../../frontend/static/js/crypto/index.js';
import { unhex } from './vectorgen.mjs';

const SEED = Number(process.env.CRYPTO_FUZZ_SEED ?? 20261122);
const ROUNDS = Number(process.env.CRYPTO_FUZZ_ROUNDS ?? 250);

// xorshift32: a small reproducible stream for choosing mutations (not for keys).
function random(seed) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  return {
    int: (below) => next() % below,
    bytes: (size) => Uint8Array.from({ length: size }, () => next() & 0xff),
  };
}

function mutate(rng, data) {
  let out = data.slice();
  const rounds = 1 + rng.int(4);
  for (let i = 0; i < rounds; i += 1) {
    const position = rng.int(Math.max(1, out.length));
    switch (rng.int(4)) {
      case 0:
        if (out.length) out[position] ^= 1 + rng.int(255);
        break;
      case 1: {
        const inserted = rng.bytes(1 + rng.int(6));
        out = Uint8Array.from([...out.slice(0, position), ...inserted, ...out.slice(position)]);
        break;
      }
      case 2:
        out = Uint8Array.from([...out.slice(0, position), ...out.slice(position + 1 + rng.int(30))]);
        break;
      default:
        out = out.slice(0, position);
    }
  }
  return out;
}

const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
let parsers;
let seeds;
let signed;

before(async () => {
  const load = async (name) =>
    JSON.parse(await readFile(new URL(`../vectors/python/${name}.json`, import.meta.url), 'utf8'));
  const identities = (await load('identities')).people;
  const unlock = (entry) =>
    lib.Identity.unlock(unhex(entry.bundle), entry.login, entry.password, { userId: entry.user_id, allowTestParams: true });
  const participant = await unlock(identities.participant);
  const coach = await unlock(identities.coach);
  const records = await load('records');
  const envelope = (await load('envelopes')).cases[0];
  const context = {
    resourceType: envelope.resource_type,
    resourceId: envelope.resource_id,
    itemId: envelope.item_id,
    revision: envelope.revision,
    author: participant.person,
  };
  const meta = { fileName: 'f', mediaType: 't', size: 0, streamSalt: new Uint8Array(16) };
  parsers = {
    'kdf params': (d) => lib.KdfParams.fromBytes(d),
    'key bundle': (d) => lib.KeyBundle.fromBytes(d),
    unlock: (d) => lib.Identity.unlock(d, 'mama.noor', 'pw', { userId: 'u', allowTestParams: true }),
    'public identity': (d) => lib.Person.fromPublicIdentity(d),
    'auth proof': (d) => lib.parseAuthProof(d),
    'envelope key id': (d) => lib.envelopeKeyId(d),
    envelope: (d) => lib.openEnvelope(d, unhex(envelope.content_key), context),
    'grant (read)': (d) => lib.readGrant(d),
    'grant (open)': (d) => lib.openGrant(d, coach, [participant.person.ed25519Public]),
    epoch: (d) => lib.verifyEpoch(d, [coach.person.ed25519Public]),
    record: (d) => lib.verifyRecord(d, unhex(records.programme_public), lib.RecordKind.DUTY_ROSTER),
    'pinned keys': (d) => lib.openPinnedKeys(participant, d),
    'attachment meta': (d) => lib.decodeAttachmentMeta(d),
    'attachment stream': async (d) => {
      for await (const _chunk of lib.decryptAttachment(new Uint8Array(32), [d], meta));
    },
  };
  seeds = [
    unhex(identities.participant.bundle),
    unhex(identities.participant.public_identity),
    unhex(envelope.envelope),
    unhex((await load('grants')).grant),
    unhex((await load('epochs')).chain[1].record),
    unhex(records.duty_roster),
    unhex(records.coach_assignment),
    unhex((await load('pinned_keys')).record),
  ];
  signed = [
    [unhex(envelope.envelope), parsers.envelope],
    [seeds[3], parsers['grant (open)']],
    [seeds[5], parsers.record],
    [seeds[7], parsers['pinned keys']],
  ];
});

async function onlyCryptoError(action, label) {
  try {
    await action();
    return true;
  } catch (error) {
    assert.ok(error instanceof lib.CryptoError, `${label}: ${error?.name}: ${error?.message}`);
    return false;
  }
}

test('parsers raise nothing but CryptoError on random and mutated bytes', async () => {
  const rng = random(SEED);
  const names = Object.keys(parsers);
  for (let round = 0; round < ROUNDS; round += 1) {
    const input = rng.int(2) === 0 ? rng.bytes(rng.int(300)) : mutate(rng, seeds[rng.int(seeds.length)]);
    for (const name of names) await onlyCryptoError(() => parsers[name](input), `${name} round ${round}`);
  }
});

test('text parsers raise nothing but CryptoError', async () => {
  const rng = random(SEED + 1);
  const alphabet = 'ABCDEFGHJKMNPQRSTVWXYZ0123456789abcxyz-_ =+/:EPFP1ßİ\u0301\u212a';
  for (let round = 0; round < ROUNDS; round += 1) {
    const text = Array.from({ length: rng.int(40) }, () => alphabet[rng.int(alphabet.length)]).join('');
    await onlyCryptoError(() => lib.b64uDecode(text), 'b64u');
    await onlyCryptoError(() => lib.RecoveryCode.parse(text), 'recovery code');
    await onlyCryptoError(() => lib.parseFingerprintQr(text), 'fingerprint qr');
    await onlyCryptoError(() => lib.normaliseLogin(text), 'login');
  }
});

test('any mutation of a signed structure is refused', async () => {
  const rng = random(SEED + 2);
  for (let round = 0; round < ROUNDS; round += 1) {
    const [data, open] = signed[rng.int(signed.length)];
    const changed = mutate(rng, data);
    if (equal(changed, data)) continue;
    assert.equal(await onlyCryptoError(() => open(changed), `round ${round}`), false, `round ${round} accepted`);
  }
});

test('round trips: what is sealed opens to itself, for many sizes', async () => {
  const rng = random(SEED + 3);
  const owner = await (async () => {
    const params = await lib.KdfParams.create({ memoryKib: 8, iterations: 1 });
    return (await lib.Identity.create('round.trip', 'round trip', { userId: 'rt', params, allowTestParams: true })).identity;
  })();
  for (let round = 0; round < 40; round += 1) {
    const key = rng.bytes(32);
    const plaintext = rng.bytes(rng.int(3000));
    const context = { resourceType: 'diary', resourceId: `r${round}`, itemId: `i${round}`, revision: rng.int(1000), author: owner.person };
    const envelope = await lib.sealEnvelope(owner, key, { ...context, plaintext });
    assert.deepEqual(await lib.openEnvelope(envelope, key, context), plaintext);
    const bytes = rng.bytes(rng.int(400));
    assert.deepEqual(lib.b64uDecode(lib.b64uEncode(bytes)), bytes);
    const code = new lib.RecoveryCode(rng.bytes(16));
    assert.deepEqual((await lib.RecoveryCode.parse((await code.text()).toLowerCase())).secret, code.secret);
  }
  for (const size of [0, 1, 65535, 65536, 65537, 200000]) {
    const key = rng.bytes(32);
    const data = rng.bytes(size);
    const { streamSalt, parts } = await lib.encryptAttachment(key, [data.slice(0, 7), data.slice(7)]);
    const out = [];
    for await (const chunk of lib.decryptAttachment(key, parts, { size, streamSalt })) out.push(...chunk);
    assert.equal(out.length, size);
    assert.ok(equal(Uint8Array.from(out), data));
  }
});
