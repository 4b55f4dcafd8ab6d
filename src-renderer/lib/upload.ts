import { maxUploadBytes } from '../../src-main/api/contract';

/**
 * A file the user dropped or picked, as the API takes it: its name and its bytes in base64. A file over the upload
 * limit is refused before it is read, with a message for the user (the error's message).
 */
export async function fileToUpload(file: File): Promise<{ from: 'upload'; name: string; data: string }> {
  if (file.size > maxUploadBytes) {
    throw new Error(
      `"${file.name}" is too large (${(file.size / 1e6).toFixed(1)} MB; the limit is ${maxUploadBytes / 1e6} MB).`,
    );
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  // btoa takes a binary string; build it in chunks so large files do not overflow the argument list.
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { from: 'upload', name: file.name, data: btoa(binary) };
}

/**
 * A Svelte action making an element accept a dropped file: `use:fileDropTarget={onfile}`. While a file is dragged over
 * it the element has the `dragging` class (styled in app.css).
 */
export function fileDropTarget(node: HTMLElement, onfile: (file: File) => void) {
  let handle = onfile;
  const over = (event: DragEvent) => {
    event.preventDefault();
    node.classList.add('dragging');
  };
  const leave = () => node.classList.remove('dragging');
  const drop = (event: DragEvent) => {
    event.preventDefault();
    leave();
    const file = event.dataTransfer?.files[0];
    if (file) handle(file);
  };
  node.addEventListener('dragover', over);
  node.addEventListener('dragleave', leave);
  node.addEventListener('drop', drop);
  return {
    update(next: (file: File) => void) {
      handle = next;
    },
    destroy() {
      node.removeEventListener('dragover', over);
      node.removeEventListener('dragleave', leave);
      node.removeEventListener('drop', drop);
    },
  };
}
