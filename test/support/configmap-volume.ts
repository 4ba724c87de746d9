/** A ConfigMap volume on disk, updated the way the kubelet updates one, for lock tests. */
import { mkdtempSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const KEY = 'images.lock';

/**
 * A ConfigMap volume as the kubelet's atomic writer keeps it: `images.lock -> ..data/images.lock`
 * and `..data -> ..<timestamp>`; an update writes a new timestamped directory, points a new link
 * at it and renames that link over `..data`, then removes the old directory.
 */
export class ConfigMapVolume {
  readonly directory = mkdtempSync(join(tmpdir(), 'lock-volume-'));
  #generation = 0;
  #current: string | undefined;

  get path(): string {
    return join(this.directory, KEY);
  }

  write(text: string): void {
    this.#generation += 1;
    const version = `..2026_12_07_10_00_0${this.#generation}.123`;
    mkdirSync(join(this.directory, version));
    writeFileSync(join(this.directory, version, KEY), text);
    symlinkSync(version, join(this.directory, '..data_tmp'));
    renameSync(join(this.directory, '..data_tmp'), join(this.directory, '..data'));
    if (this.#current === undefined) {
      symlinkSync(`..data/${KEY}`, this.path);
    } else {
      rmSync(join(this.directory, this.#current), { recursive: true });
    }
    this.#current = version;
  }

  remove(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}
