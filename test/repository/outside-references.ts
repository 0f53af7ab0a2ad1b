/**
 * Finds the places where a repository file reaches outside the repository: a relative import that climbs above
 * the root, a path built from `__dirname` (or the working directory, the root under npm) that `..` takes above it,
 * a relative path in a JSON config or any text that climbs above the root from the file's folder, and, outside code, any
 * mention of the `shared` folder beside a checkout. A fresh
 * clone has nothing beside it, so each of these is a read that works on one machine and fails on the next.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** One place where a file reaches outside the repository. */
export interface OutsideReference {
  /** The file, relative to the repository root. */
  readonly file: string;
  readonly line: number;
  /** The code or text that reaches out. */
  readonly reference: string;
  /** Where it leads. */
  readonly leadsTo: string;
}

/**
 * The `shared` folder that sits beside some checkouts, reached with `../`. Checked in scripts, docs and configs;
 * in code, imports and paths are resolved instead (`lambdas/shared` is a folder of this repository).
 */
const SIBLING_SHARED = /\.\.[\\/]+shared\b/;
/** A relative path that starts by climbing, e.g. `../../x/y.json` (up to a space, quote or bracket). */
const CLIMBING_PATH = /(?<![\w.\\/-])(?:\.\.[\\/])+[^\s'"`()<>[\]]*/g;
/** A `..` path segment. */
const PARENT_SEGMENT = /(^|[\\/])\.\.([\\/]|$)/;
const CODE_FILE = /\.[cm]?[jt]sx?$/;
/** Calls whose first argument is a file or directory to read, write or run in. */
const FS_CALLS = new Set([
  'access',
  'accessSync',
  'copyFile',
  'copyFileSync',
  'cp',
  'cpSync',
  'createReadStream',
  'createWriteStream',
  'existsSync',
  'lstat',
  'lstatSync',
  'mkdir',
  'mkdirSync',
  'open',
  'openSync',
  'readFile',
  'readFileSync',
  'readdir',
  'readdirSync',
  'stat',
  'statSync',
  'writeFile',
  'writeFileSync',
]);
/** Calls whose first argument is a module specifier. */
const MODULE_CALLS = new Set(['require', 'require.resolve', 'jest.mock', 'jest.doMock', 'jest.requireActual']);
const PATH_MODULES = new Set(['path', 'node:path']);
type PathFunction = 'join' | 'resolve' | 'dirname';
const PATH_FUNCTIONS = new Set<string>(['join', 'resolve', 'dirname']);

/** Every file of the repository that git knows or would add (tracked, or untracked and not ignored). */
export function repositoryFiles(root: string): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  return listed
    .split('\0')
    .filter((file) => file !== '')
    .filter((file) => {
      try {
        return lstatSync(join(root, file)).isFile();
      } catch {
        return false; // deleted in the work tree
      }
    });
}

/** The references outside `root` in one file; `file` is relative to `root`, `text` its content. */
export function findOutsideReferences(root: string, file: string, text: string): OutsideReference[] {
  const code = CODE_FILE.test(file);
  const found = code
    ? codeReferences(root, file, text)
    : file.endsWith('.json')
      ? jsonReferences(root, file, text)
      : [];
  const reported = new Set(found.map((reference) => reference.line));
  const base = dirname(resolve(root, file));
  text.split('\n').forEach((content, index) => {
    const line = index + 1;
    if (reported.has(line)) return;
    if (!code && SIBLING_SHARED.test(content)) {
      found.push({ file, line, reference: content.trim(), leadsTo: 'a shared folder beside the checkout' });
      return;
    }
    for (const [path] of content.matchAll(CLIMBING_PATH)) {
      const target = resolve(base, path);
      if (isOutside(root, target)) {
        found.push({ file, line, reference: content.trim().slice(0, 160), leadsTo: target });
        return;
      }
    }
  });
  return found.sort((a, b) => a.line - b.line);
}

/** Every reference outside `root` in the repository's own files (binary files are skipped). */
export function findRepositoryOutsideReferences(root: string): OutsideReference[] {
  return repositoryFiles(root).flatMap((file) => {
    const text = readFileSync(join(root, file), 'utf8');
    return text.includes('\0') ? [] : findOutsideReferences(root, file, text);
  });
}

function isOutside(root: string, path: string): boolean {
  const fromRoot = relative(root, path);
  return fromRoot === '..' || fromRoot.startsWith('../') || fromRoot.startsWith('..\\') || isAbsolute(fromRoot);
}

/** Relative paths in a JSON file's strings (e.g. `extends`, `include`, script arguments) that climb above `root`. */
function jsonReferences(root: string, file: string, text: string): OutsideReference[] {
  const found: OutsideReference[] = [];
  const base = dirname(resolve(root, file));
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const token of value.split(/\s+/)) {
        if (!PARENT_SEGMENT.test(token) || isAbsolute(token) || /^[a-z]+:/i.test(token)) continue;
        const target = resolve(base, token);
        if (isOutside(root, target)) {
          const line = text.slice(0, Math.max(0, text.indexOf(token))).split('\n').length;
          found.push({ file, line, reference: token, leadsTo: target });
        }
      }
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        visit(key);
        visit(child);
      }
    }
  };
  try {
    visit(JSON.parse(text));
  } catch {
    // Not JSON (e.g. a JSON with comments): only the text check applies.
  }
  return found;
}

/** The paths a source file reads through imports, `path` calls, fs calls and `cwd` options that climb above `root`. */
function codeReferences(root: string, file: string, text: string): OutsideReference[] {
  const absolute = resolve(root, file);
  const source = ts.createSourceFile(absolute, text, ts.ScriptTarget.Latest, true);
  const { constants, pathNamespaces, pathFunctions } = bindings(source);
  const found: OutsideReference[] = [];

  /** A path's value when the code fixes it; `climbs` records whether a `..` or `dirname` took part. */
  const evaluate = (node: ts.Expression, state: { climbs: boolean; seen: Set<string> }): string | undefined => {
    if (ts.isStringLiteralLike(node)) {
      if (PARENT_SEGMENT.test(node.text)) state.climbs = true;
      return node.text;
    }
    if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isNonNullExpression(node)) {
      return evaluate(node.expression, state);
    }
    if (ts.isIdentifier(node)) {
      if (node.text === '__dirname') return dirname(absolute);
      if (node.text === '__filename') return absolute;
      const initializer = constants.get(node.text);
      if (initializer === undefined || state.seen.has(node.text)) return undefined;
      state.seen.add(node.text);
      return evaluate(initializer, state);
    }
    if (ts.isTemplateExpression(node)) {
      let value = node.head.text;
      for (const span of node.templateSpans) {
        const part = evaluate(span.expression, state);
        if (part === undefined) return undefined;
        value += part + span.literal.text;
      }
      if (PARENT_SEGMENT.test(value)) state.climbs = true;
      return value;
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const left = evaluate(node.left, state);
      const right = evaluate(node.right, state);
      return left === undefined || right === undefined ? undefined : left + right;
    }
    if (ts.isCallExpression(node)) {
      if (calleeName(node.expression) === 'process.cwd') return root;
      const fn = pathFunctionOf(node.expression, pathNamespaces, pathFunctions);
      if (fn === undefined) return undefined;
      const args = node.arguments.map((argument) => evaluate(argument, state));
      if (args.some((argument) => argument === undefined)) return undefined;
      const values = args as string[];
      if (fn === 'dirname') {
        state.climbs = true;
        return values[0] === undefined ? undefined : dirname(values[0]);
      }
      return fn === 'join' ? join(...values) : resolve(root, ...values);
    }
    return undefined;
  };

  /** Records `node` when its fixed value climbs above the root (relative values count from the root). */
  const check = (node: ts.Expression, base: string): boolean => {
    const state = { climbs: false, seen: new Set<string>() };
    const value = evaluate(node, state);
    if (value === undefined || !state.climbs) return false;
    const target = resolve(base, value);
    if (!isOutside(root, target)) return false;
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push({ file, line: line + 1, reference: node.getText(source).slice(0, 160), leadsTo: target });
    return true;
  };

  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) check(node.moduleSpecifier, dirname(absolute));
      return;
    }
    if (ts.isCallExpression(node)) {
      const name = calleeName(node.expression);
      const first = node.arguments[0];
      if (first !== undefined && (node.expression.kind === ts.SyntaxKind.ImportKeyword || MODULE_CALLS.has(name))) {
        if (check(first, dirname(absolute))) return;
      } else if (pathFunctionOf(node.expression, pathNamespaces, pathFunctions) !== undefined) {
        if (check(node, root)) return;
      } else if (first !== undefined && FS_CALLS.has(name.split('.').pop() ?? name)) {
        if (check(first, root)) return;
      }
    }
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === 'cwd') {
      if (check(node.initializer, root)) return;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `const` names bound once in the file, and how the file names `path` and its functions. */
function bindings(source: ts.SourceFile): {
  constants: Map<string, ts.Expression>;
  pathNamespaces: Set<string>;
  pathFunctions: Map<string, PathFunction>;
} {
  const constants = new Map<string, ts.Expression>();
  const declaredTwice = new Set<string>();
  const pathNamespaces = new Set<string>();
  const pathFunctions = new Map<string, PathFunction>();
  const visit = (node: ts.Node): void => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer !== undefined &&
      ts.isVariableDeclarationList(node.parent) &&
      (node.parent.flags & ts.NodeFlags.Const) !== 0
    ) {
      if (constants.has(node.name.text)) declaredTwice.add(node.name.text);
      constants.set(node.name.text, node.initializer);
    }
    if (
      ts.isImportDeclaration(node) &&
      ts.isStringLiteral(node.moduleSpecifier) &&
      PATH_MODULES.has(node.moduleSpecifier.text)
    ) {
      const clause = node.importClause;
      if (clause?.name) pathNamespaces.add(clause.name.text);
      const named = clause?.namedBindings;
      if (named && ts.isNamespaceImport(named)) pathNamespaces.add(named.name.text);
      if (named && ts.isNamedImports(named)) {
        for (const element of named.elements) {
          const imported = (element.propertyName ?? element.name).text;
          if (PATH_FUNCTIONS.has(imported)) pathFunctions.set(element.name.text, imported as PathFunction);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  for (const name of declaredTwice) constants.delete(name);
  return { constants, pathNamespaces, pathFunctions };
}

/** `a.b.c` for a callee made of names, else ''. */
function calleeName(expression: ts.Expression): string {
  if (ts.isIdentifier(expression)) return expression.text;
  if (ts.isPropertyAccessExpression(expression)) {
    const object = calleeName(expression.expression);
    return object === '' ? expression.name.text : `${object}.${expression.name.text}`;
  }
  return '';
}

function pathFunctionOf(
  expression: ts.Expression,
  pathNamespaces: ReadonlySet<string>,
  pathFunctions: ReadonlyMap<string, PathFunction>,
): PathFunction | undefined {
  if (ts.isIdentifier(expression)) return pathFunctions.get(expression.text);
  if (
    ts.isPropertyAccessExpression(expression) &&
    ts.isIdentifier(expression.expression) &&
    pathNamespaces.has(expression.expression.text) &&
    PATH_FUNCTIONS.has(expression.name.text)
  ) {
    return expression.name.text as PathFunction;
  }
  return undefined;
}
