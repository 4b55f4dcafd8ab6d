import type { Database } from 'better-sqlite3';

// What a run trained on, beyond the engine's name: the GPU adapter ("NVIDIA H200 (Vulkan; …)") or the CPU kernels.
export function up(db: Database): void {
  db.exec(`ALTER TABLE runs ADD COLUMN engine_detail TEXT`);
}
