// Dates and times shown by scripts, as the server's `when`/`day` filters show them: in her
// language (British English for English: a 24-hour clock, day before month), in the page's time
// zone when the page gives one (data-time-zone on an element), else the phone's; never raw UTC.

const LOCALES = { nl: 'nl-NL', en: 'en-GB' };

function locale() {
  return LOCALES[document.documentElement.lang] ?? LOCALES.nl;
}

function zone(timeZone) {
  return timeZone || document.querySelector('[data-time-zone]')?.dataset.timeZone || undefined;
}

// "7 dec. 2026 14:05" / "7 Dec 2026, 14:05"
export function formatMoment(iso, timeZone) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short', timeZone: zone(timeZone) }).format(date);
}

// "7 december 2026" / "7 December 2026"
export function formatDay(iso, timeZone) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'long', timeZone: zone(timeZone) }).format(date);
}
