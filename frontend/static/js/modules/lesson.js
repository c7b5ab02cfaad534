// A lesson of her assignment. Reading it to the end marks it read on the server (her progress is
// kept there, per assignment); "Read, next" is a plain form and works without this script.
// Lessons are programme content, so nothing here is encrypted.

const article = document.getElementById('lesson');
const words = document.getElementById('lesson-messages')?.dataset ?? {};

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? '';
}

function fill(template, params) {
  return String(template ?? '').replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? ''));
}

function show(progress) {
  article.dataset.read = 'true';
  const state = document.getElementById('lesson-state');
  if (state) state.textContent = words.read ?? '';
  const step = document.querySelector(`[data-step="${article.dataset.lessonKey}"]`);
  if (step) {
    step.classList.add('step--done');
    const mark = step.querySelector('.step-mark');
    if (mark) mark.textContent = '✓';
  }
  const bar = document.querySelector('[data-progress]');
  if (bar && progress) {
    const done = progress.lessons_read.length + progress.questions_answered;
    bar.value = done;
    bar.textContent = `${Math.round((100 * done) / Math.max(bar.max, 1))}%`;
  }
  const count = document.querySelector('[data-lessons-read]');
  if (count && progress) {
    count.textContent = fill(words.lessons, { read: progress.lessons_read.length, total: progress.lessons_total });
  }
}

async function markRead() {
  try {
    const response = await fetch(article.dataset.readUrl, {
      method: 'PUT',
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'x-csrf-token': csrfToken() },
    });
    if (response.ok) show(await response.json());
  } catch {
    // No connection: "Read, next" still marks it, and the next visit tries again.
  }
}

if (article && article.dataset.read !== 'true') {
  const end = article.querySelector('[data-lesson-end]');
  if ('IntersectionObserver' in window && end) {
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) {
        observer.disconnect();
        markRead();
      }
    });
    observer.observe(end);
  } else {
    markRead();
  }
}
