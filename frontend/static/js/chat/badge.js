// The Chat badge in the menu: her unread messages over all her conversations, as counted when the
// page was served. What she reads on this page comes off it at once, so the badge does not stay
// until the next page load. Messages that arrived after the page was served were never in it.

export class ChatBadge {
  // `readSeq` and `lastSeq`: this conversation's read marker and newest message when the page
  // (and the badge) was served.
  constructor(badge, { readSeq, lastSeq }) {
    this.badge = badge;
    this.served = Number(badge?.dataset.count ?? 0);
    this.readSeq = readSeq;
    this.lastSeq = lastSeq;
  }

  // She read up to `seq` here: the count left, and the badge shows it (gone at nought).
  read(seq) {
    if (!this.badge) return 0;
    const read = Math.max(0, Math.min(seq, this.lastSeq) - this.readSeq);
    const left = Math.max(0, this.served - read);
    const shown = Number(this.badge.dataset.count);
    if (left === shown) return left;
    if (left === 0) {
      this.badge.remove();
      return 0;
    }
    this.badge.dataset.count = String(left);
    const [number, words] = this.badge.children;
    if (number) number.textContent = left < 100 ? String(left) : '99+';
    if (words) words.textContent = words.textContent.replace(String(shown), String(left));
    return left;
  }
}
