/**
 * What a chat note shows of each item of a runbook checklist: its text, command, by-hand part, runbook correction and
 * note, joined. The checklist tests of each system hold these to the chat's note size.
 */
import type { Checklist } from '../../src/core/checklist.js';

export function checklistNotes(checklist: Checklist<unknown>): string[] {
  return checklist.items.map((i) =>
    [
      i.text,
      'command' in i ? i.command : '',
      'byHand' in i ? i.byHand : '',
      'runbookCorrection' in i ? i.runbookCorrection : '',
      'note' in i ? i.note : '',
    ]
      .filter(Boolean)
      .join(' '),
  );
}
