// Her application: the letter sealed in her browser to the readers of the programme's intake
// team (team-check.js), then sent with her name, contact and consent. She has no account: the
// organisation key this browser met first is remembered here (localStorage) and a changed one
// refused; on a first visit the page shows its fingerprint to compare with the programme's own
// (docs/security.md). Nothing is sent when the team does not check out.

import { b64uDecode, b64uEncode, sealIntakeLetter } from '../crypto/index.js';
import { call } from '../shared/http.js';
import { encodeLetter } from './letter-format.js';
import { TeamRefused, intakeReaders } from './team-check.js';

const form = document.getElementById('apply-form');
const settings = form?.dataset;
const ORG_KEY = `eportfolio.intake.organisation.${settings?.organisationId}`;
const SERIAL_KEY = `eportfolio.intake.team-serial.${settings?.programmeId}`;

function show(id, text) {
  const element = document.getElementById(id);
  element.textContent = text ?? '';
  element.hidden = !text;
}

function remembered(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function remember(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // a private window keeps nothing; the check then starts again next time
  }
}

async function team() {
  const answer = await call(settings.teamUrl);
  if (!answer.ok) throw new TeamRefused('chain');
  const pinned = remembered(ORG_KEY);
  const checked = await intakeReaders(answer.data, {
    organisationId: settings.organisationId,
    programmeId: settings.programmeId,
    pinnedOrganisation: pinned ? b64uDecode(pinned) : null,
    seenSerial: Number(remembered(SERIAL_KEY) ?? 0),
  });
  return checked;
}

function refuse(error) {
  form.hidden = true;
  show('apply-refused', error?.reason === 'key_changed' ? settings.keyChanged : settings.refused);
}

function problem(values) {
  // Her name and contact go inside the sealed letter too (letter-format.js), so they count.
  const letterBytes = encodeLetter(values).length;
  if (!values.name) return settings.noName;
  if (!values.contact) return settings.noContact;
  if (!values.letter.trim()) return settings.empty;
  if (letterBytes > Number(settings.maxLetter)) return settings.tooLong;
  if (!values.consent) return settings.noConsent;
  return null;
}

async function send(event) {
  event.preventDefault();
  const values = {
    name: form.elements.name.value.trim(),
    contact: form.elements.contact.value.trim(),
    letter: form.elements.letter.value,
    consent: form.elements.consent.checked,
  };
  const wrong = problem(values);
  show('apply-problem', wrong);
  if (wrong) return;
  const button = document.getElementById('apply-send');
  button.disabled = true;
  show('apply-status', settings.sending);
  try {
    // Checked again right before sealing: the team may have changed since the page opened.
    const checked = await team();
    const applicationId = crypto.randomUUID();
    const sealed = await sealIntakeLetter(checked.readers, {
      programmeId: settings.programmeId,
      applicationId,
      plaintext: encodeLetter(values),
    });
    const answer = await call(settings.sendUrl, {
      application_id: applicationId,
      name: values.name,
      contact: values.contact,
      consent: values.consent,
      consent_text: document.getElementById('consent-text').textContent.trim(),
      team_serial: checked.serial,
      letter: b64uEncode(sealed.letter),
      keys: Object.fromEntries(Object.entries(sealed.keys).map(([id, box]) => [id, b64uEncode(box)])),
    });
    show('apply-status', '');
    if (!answer.ok) {
      show('apply-problem', answer.data?.error?.message || settings.failed);
      button.disabled = false;
      return;
    }
    remember(ORG_KEY, b64uEncode(checked.organisationPublic));
    remember(SERIAL_KEY, String(checked.serial));
    form.hidden = true;
    const link = document.getElementById('status-link');
    link.href = answer.data.status_url;
    link.textContent = new URL(answer.data.status_url, window.location.href).href;
    document.getElementById('apply-done').hidden = false;
  } catch (error) {
    show('apply-status', '');
    if (error instanceof TeamRefused) refuse(error);
    else {
      show('apply-problem', settings.failed);
      button.disabled = false;
    }
  }
}

async function start() {
  try {
    const checked = await team();
    document.getElementById('org-fingerprint').textContent = checked.organisationFingerprint;
    document.getElementById('org-check').hidden = false;
    form.hidden = false;
    form.addEventListener('submit', send);
  } catch (error) {
    refuse(error);
  }
}

if (form) start();
