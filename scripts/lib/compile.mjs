// The TypeScript build with the @nestjs/swagger compiler plugin: plain `tsc` cannot run transformers, and the
// plugin is what turns DTO types and class-validator constraints into the OpenAPI document (minimum, pattern,
// required, enums…), so clients and fuzzers see the same rules the API enforces. Incremental like tsc -b.
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './paths.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));

export function compile() {
  const ts = require('typescript');
  const { before } = require('@nestjs/swagger/plugin');
  const configPath = path.join(ROOT, 'tsconfig.build.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (!parsed) throw new Error('cannot read tsconfig.build.json');
  const host = ts.createIncrementalCompilerHost(parsed.options);
  const program = ts.createIncrementalProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    host,
    configFileParsingDiagnostics: parsed.errors,
  });
  const swagger = before(
    { classValidatorShim: true, introspectComments: true, dtoFileNameSuffix: ['.dto.ts', '.controller.ts'] },
    program.getProgram(),
  );
  const emit = program.emit(undefined, undefined, undefined, undefined, { before: [swagger] });
  const diagnostics = [...ts.getPreEmitDiagnostics(program.getProgram()), ...emit.diagnostics];
  if (diagnostics.length > 0) {
    const text = ts.formatDiagnosticsWithColorAndContext(diagnostics, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => ROOT,
      getNewLine: () => '\n',
    });
    process.stderr.write(text);
    throw new Error('TypeScript build failed');
  }
}
