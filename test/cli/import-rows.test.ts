import { csvRows, formatRowProblems, ImportFileError, jsonlRows, rowsOf, validateRows } from '../../cli/import-rows';

const defaults = { lane: 'bulk', user: 'u1', operation: 'prospect.update' } as const;

describe('import rows', () => {
  it('GIVEN a CSV with dotted headers and a quoted comma WHEN read THEN rows nest fields and numbers are numbers', () => {
    const rows = csvRows('id,prospectId,attributes.title\nr1,5,"CEO, founder"\n');
    expect(rows).toEqual([{ id: 'r1', prospectId: 5, attributes: { title: 'CEO, founder' } }]);
  });

  it('GIVEN an id that looks like a number WHEN read THEN it stays text', () => {
    expect(csvRows('id,prospectId\n123,5\n')[0]).toEqual({ id: '123', prospectId: 5 });
  });

  it('GIVEN valid rows WHEN validated THEN each becomes an intent of the lane, user and operation given', () => {
    const { intents, problems } = validateRows(
      jsonlRows('{"id":"r1","prospectId":5,"attributes":{"title":"x"}}\n'),
      defaults,
    );
    expect(problems).toEqual([]);
    expect(intents[0]).toMatchObject({
      id: 'r1',
      user: 'u1',
      lane: 'bulk',
      operation: { type: 'prospect.update', prospectId: 5 },
    });
  });

  it('GIVEN a bad second row WHEN validated THEN the problem names row 2 and the field', () => {
    const rows = csvRows('id,prospectId,attributes.title\nr1,5,CEO\nr2,abc,CTO\n');
    const { problems } = validateRows(rows, defaults);
    expect(formatRowProblems(problems)).toEqual([
      'row 2: operation.prospectId: must be a number (an Outreach prospect id)',
    ]);
  });

  it('GIVEN the same id twice WHEN validated THEN the later row is refused naming the earlier', () => {
    const rows = jsonlRows(
      '{"id":"r1","prospectId":5,"attributes":{"a":1}}\n{"id":"r1","prospectId":6,"attributes":{"a":1}}\n',
    );
    expect(formatRowProblems(validateRows(rows, defaults).problems)).toEqual([
      'row 2: id: "r1" is also the id of row 1',
    ]);
  });

  it('GIVEN a line that is not JSON WHEN read THEN the error names the line', () => {
    expect(() => jsonlRows('{"id":"r1"}\nnot json\n')).toThrow(/line 2: not JSON/);
  });

  it('GIVEN a file that is neither .csv nor .jsonl WHEN read THEN it is refused', () => {
    expect(() => rowsOf('rows.txt', '')).toThrow(ImportFileError);
  });
});
