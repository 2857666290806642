/**
 * The command layer in one import, for the many callers that use several parts of it: the model
 * (`command-spec.ts`), argument checks (`command-args.ts`), the tokenizer, the parser, the help text and the factory
 * of a target system's command each live in their own file.
 */
export type {
  ArgSpec,
  CommandReply,
  CommandRequest,
  CommandSpec,
  OptionSpec,
  ParsedCommand,
  SubcommandSpec,
} from './command-spec.js';
export { checkParams, isValidArg } from './command-args.js';
export { createSystemCommand } from './create-system-command.js';
export { parseCommandText } from './parse-command-text.js';
export { renderHelp } from './render-help.js';
export { resolveTarget } from './resolve-target.js';
export { tokenizeCommand } from './tokenize-command.js';
