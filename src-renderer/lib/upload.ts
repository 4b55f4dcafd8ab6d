/** A file the user dropped or picked, as the API takes it: its name and its bytes in base64. */
export async function fileToUpload(file: File): Promise<{ from: 'upload'; name: string; data: string }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  // btoa takes a binary string; build it in chunks so large files do not overflow the argument list.
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { from: 'upload', name: file.name, data: btoa(binary) };
}

/** The first file of a drop, if the drop carried files. */
export function droppedFile(event: DragEvent): File | null {
  return event.dataTransfer?.files[0] ?? null;
}
