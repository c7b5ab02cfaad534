// Simple SVG drawings of the sociogram (people around her, by closeness) and the genogram
// (family members by generation). Names are inserted with textContent only.

const SVG = 'http://www.w3.org/2000/svg';

function el(name, attributes = {}, text = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

function frame(width, height, label) {
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'diagram-svg' });
  svg.append(el('title', {}, label));
  return svg;
}

function short(name) {
  const text = String(name ?? '').trim();
  return text.length > 14 ? `${text.slice(0, 13)}…` : text;
}

// people: [{ name, closeness: '1' | '2' | '3', support }]
export function drawSociogram(container, people, { me, label, supports = {} }) {
  const size = 340;
  const middle = size / 2;
  const svg = frame(size, size, label);
  for (const radius of [55, 105, 155]) {
    svg.append(el('circle', { cx: middle, cy: middle, r: radius, class: 'ring' }));
  }
  people.forEach((person, index) => {
    const radius = [55, 105, 155][Math.min(2, Math.max(0, Number(person.closeness || 2) - 1))];
    const angle = (2 * Math.PI * index) / Math.max(1, people.length) - Math.PI / 2;
    const x = middle + radius * Math.cos(angle);
    const y = middle + radius * Math.sin(angle);
    svg.append(el('line', { x1: middle, y1: middle, x2: x, y2: y, class: `tie tie--${person.support || 'none'}` }));
    svg.append(el('circle', { cx: x, cy: y, r: 9, class: 'node' }));
    const name = el('text', { x, y: y - 13, class: 'name', 'text-anchor': 'middle' }, short(person.name));
    name.append(el('title', {}, `${person.name ?? ''} · ${supports[person.support] ?? ''}`));
    svg.append(name);
  });
  svg.append(el('circle', { cx: middle, cy: middle, r: 16, class: 'node node--me' }));
  svg.append(el('text', { x: middle, y: middle + 5, class: 'name name--me', 'text-anchor': 'middle' }, me));
  container.replaceChildren(svg);
}

// members: [{ name, relation }]; relations: { key: { label, generation } }
export function drawGenogram(container, members, { me, label, relations = {} }) {
  const rows = new Map([[-2, []], [-1, []], [0, []], [1, []]]);
  rows.get(0).push({ name: me, self: true });
  for (const member of members) {
    const generation = relations[member.relation]?.generation ?? 0;
    rows.get(generation)?.push(member);
  }
  const width = 340;
  const rowHeight = 80;
  const svg = frame(width, rowHeight * rows.size + 20, label);
  const positions = new Map();
  [...rows.entries()].forEach(([generation, people], rowIndex) => {
    const y = 40 + rowIndex * rowHeight;
    people.forEach((person, i) => {
      const x = ((i + 1) * width) / (people.length + 1);
      positions.set(person, { x, y, generation });
    });
  });
  const self = positions.get(rows.get(0)[0]);
  for (const [person, where] of positions) {
    if (person.self) continue;
    svg.append(el('line', { x1: self.x, y1: self.y, x2: where.x, y2: where.y, class: 'tie' }));
  }
  for (const [person, where] of positions) {
    const shape = person.self
      ? el('circle', { cx: where.x, cy: where.y, r: 14, class: 'node node--me' })
      : el('rect', { x: where.x - 11, y: where.y - 11, width: 22, height: 22, rx: 4, class: 'node' });
    svg.append(shape);
    const caption = person.self ? me : `${short(person.name)}`;
    const text = el('text', { x: where.x, y: where.y + 28, class: 'name', 'text-anchor': 'middle' }, caption);
    if (!person.self) text.append(el('title', {}, `${person.name ?? ''} · ${relations[person.relation]?.label ?? ''}`));
    svg.append(text);
  }
  container.replaceChildren(svg);
}
