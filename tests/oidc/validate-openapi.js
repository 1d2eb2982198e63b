// Validates an OpenAPI document read from stdin against the specification's JSON Schema
// (3.1 documents against the 3.1 schema): prints "valid <version>" and exits 0, or prints
// the schema errors and exits 1.
import { Validator } from '@seriousme/openapi-schema-validator';

let text = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) text += chunk;
const validator = new Validator();
const result = await validator.validate(JSON.parse(text));
if (result.valid) {
  console.log(`valid ${validator.version}`);
} else {
  console.log(JSON.stringify(result.errors, null, 2));
  process.exit(1);
}
