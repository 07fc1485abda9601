// The run directory's layout is @oidstream/report's (it reads run directories); the stages write into it.
export { RUN_FILES, runPath } from '@oidstream/report';
