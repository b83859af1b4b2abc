// Short messages in the corner that go away by themselves.

export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  const note = document.createElement('div');
  note.className = `toast ${kind}`;
  note.textContent = message;
  box.append(note);
  setTimeout(() => note.remove(), 6000);
}
