import type { AnyOutputDefinition } from '../../src/index.js';
import { arrowOutput } from './arrow-sink.js';
import { csvOutput } from './csv-sink.js';
import { jsonlOutput } from './jsonl-sink.js';

export { ArrowFileSink, arrowOutput } from './arrow-sink.js';
export {
  type ArrowOutputConfig,
  arrowConfigSchema,
  type CsvOutputConfig,
  csvConfigSchema,
  type JsonlOutputConfig,
  jsonlConfigSchema,
} from './config.js';
export { csvEncoding, csvField, csvOutput } from './csv-sink.js';
export { jsonlEncoding, jsonlOutput } from './jsonl-sink.js';
export { StagedFileWriter } from './staged-file.js';
export { type TextEncoding, TextFileSink } from './text-file-sink.js';
export { type CellFormat, cellFormat } from './types.js';

/** Every file output of this connector, for registration. */
export const filesOutputs: AnyOutputDefinition[] = [jsonlOutput, csvOutput, arrowOutput];
