import { describeResumeDeterminism } from '../../helpers/resume-determinism';

describeResumeDeterminism('native');
