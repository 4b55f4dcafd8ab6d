import type { Database } from 'better-sqlite3';
import * as m0001 from './0001-initial';
import * as m0002 from './0002-import-reports';
import * as m0003 from './0003-layer-model-configs';
import * as m0004 from './0004-latent-maps';
import * as m0005 from './0005-experiments';
import * as m0006 from './0006-projects';
import * as m0007 from './0007-engine-detail';
import * as m0008 from './0008-work-owners';
import * as m0009 from './0009-mid-epoch-checkpoints';
import * as m0010 from './0010-loss-penalty';
import * as m0011 from './0011-embedding-samples';
import * as m0012 from './0012-change-log';
import * as m0013 from './0013-lab-runs';
import * as m0014 from './0014-learning-rates';
import * as m0015 from './0015-test-image-quality';
import * as m0016 from './0016-code-probes';

/** Schema versions in order; entry i brings the database to user_version i + 1. Never edit a shipped one. */
export const migrations: ReadonlyArray<{ up(db: Database): void }> = [
  m0001,
  m0002,
  m0003,
  m0004,
  m0005,
  m0006,
  m0007,
  m0008,
  m0009,
  m0010,
  m0011,
  m0012,
  m0013,
  m0014,
  m0015,
  m0016,
];
