/**
 * @fileoverview Building a translation (the part of the translator that needs
 * TypeScript's compiler, loaded only when the cache misses): type-check the program,
 * index module-level declarations (functions, classes, the JitDriver, hint
 * registrations), lower every function with the codewriter, find and check the portal,
 * and emit the `jit` and `nojit` JS variants of every module by editing the source text
 * and stripping types.
 *
 * Classes: each interpreter class whose ancestors are all interpreter classes gets an
 * init code (`CodeWriter.lowerInit`). When it and its ancestors' lower (in the subset,
 * without loops), `new` of the class is traced as a blank allocation plus the init
 * code, and the `jit` variant of the class is rewritten so that it can be allocated
 * blank (`blankAllocationEdits` in classes.ts); otherwise `new` stays a residual call of the
 * constructor, and the unit says why (`RawClass.residualWhy`).
 */

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { BLANK, blankAllocationEdits, constructorOf, instanceFields, type Edit } from "./classes.js";
import { CodeWriter, type ParentInit, type Resolver } from "./codewriter.js";
import type { RawArrayFieldRef, RawClass, RawConst, RawFieldRef, RawJitCode, RawUnit, RawVirtualizable } from "./jitcode.js";
import { computeLiveness } from "./liveness.js";
import { quasiImmutableFields, quasiImmutableWriteEdits } from "./quasi-immutable.js";
import { SubsetError, TranslationError, subsetError } from "./subset.js";
import { UnitBuilder } from "./unit-builder.js";
import { HERE, RUNTIME_MODULES } from "./translator.js";

const HINT_NAMES = new Set(["JitDriver", "promote", "elidable", "dontLookInside", "unrollSafe", "quasiImmutable", "weAreJitted"]);
const REGISTRATIONS = new Set(["elidable", "dontLookInside", "unrollSafe"]);

export interface BuiltModule {
  readonly path: string;
  readonly jit: string;
  readonly nojit: string;
}

/** Everything about one function the unit will hold. */
interface Reserved {
  readonly decl: ts.FunctionLikeDeclaration;
  readonly name: string;
  readonly isMethod: boolean;
  readonly fnConst: number;
  /** For an init code: its class (index and declaration). */
  readonly cls?: { readonly index: number; readonly decl: ts.ClassDeclaration };
}


interface DriverInfo {
  readonly greens: string[];
  readonly reds: string[];
  readonly index: number;
  readonly constOperand: number;
  /** The `virtualizables` option as written: the red, and its field specs (checked once the portal is known). */
  readonly vable: { readonly red: string; readonly at: ts.Node; readonly specs: readonly ts.StringLiteral[] } | null;
}

/** Translates the interpreter whose entry module is `entry` (an absolute path). */
export function build(entry: string): { unit: RawUnit; modules: BuiltModule[] } {
  const program = ts.createProgram([entry], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    paths: { "tsjit/hints": [join(HERE, "hints.d.ts")], "tsjit/io": [join(HERE, "io.d.ts")] },
  });
  const checker = program.getTypeChecker();
  const sources = program
    .getSourceFiles()
    .filter((sf) => !sf.isDeclarationFile && !program.isSourceFileDefaultLibrary(sf) && !sf.fileName.includes("/node_modules/"));
  const diags = sources.flatMap((sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]);
  if (diags.length) {
    throw new TranslationError(
      diags.slice(0, 20).map((d) => {
        const msg = ts.flattenDiagnosticMessageText(d.messageText, "\n");
        if (!d.file || d.start === undefined) return new Error(msg);
        const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
        return new SubsetError(d.file.fileName, line + 1, character + 1, `type error: ${msg}`, "the interpreter must type-check");
      }),
    );
  }
  const unit = new UnitBuilder(checker);
  const moduleIndex = new Map<ts.SourceFile, number>();
  for (const sf of sources) {
    moduleIndex.set(sf, unit.modules.length);
    unit.modules.push(sf.fileName);
  }
  const codeOfDecl = new Map<ts.Node, number>();
  const reserved: Reserved[] = [];
  const hintsOfDecl = new Map<ts.Node, string[]>();
  const drivers = new Map<ts.Symbol, DriverInfo>();
  const classOfDecl = new Map<ts.Node, number>();
  const errors: Error[] = [];
  // Before any field descriptor is made: they say whether their field is quasi-immutable.
  for (const f of quasiImmutableFields(sources, checker, errors)) unit.quasiImmutableFields.add(f);
  /** A driver was declared but its spec was rejected (so "no driver" would be noise). */
  let driverRejected = false;
  const moduleGlobals = new Map<ts.SourceFile, string[]>();

  const resolveAlias = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const reserve = (decl: ts.FunctionLikeDeclaration, name: string, isMethod: boolean, fnConst: number) => {
    const idx = unit.reserveCode();
    codeOfDecl.set(decl, idx);
    reserved[idx] = { decl, name, isMethod, fnConst };
  };

  // Index module-level declarations.
  for (const sf of sources) {
    const mod = moduleIndex.get(sf)!;
    const globals: string[] = [];
    moduleGlobals.set(sf, globals);
    const classDecls: ts.ClassDeclaration[] = [];
    for (const st of sf.statements) {
      if (ts.isFunctionDeclaration(st) && st.name && st.body) {
        globals.push(st.name.text);
        reserve(st, st.name.text, false, unit.constOperand({ t: "global", module: mod, name: st.name.text }));
      } else if (ts.isClassDeclaration(st) && st.name) {
        globals.push(st.name.text);
        classDecls.push(st);
      } else if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) {
          if (!ts.isIdentifier(d.name)) continue;
          globals.push(d.name.text);
          const init = d.initializer;
          if (init && ts.isNewExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === "JitDriver") {
            try {
              drivers.set(checker.getSymbolAtLocation(d.name)!, readDriverSpec(init, drivers.size, unit.constOperand({ t: "global", module: mod, name: d.name.text })));
            } catch (e) {
              if (!(e instanceof SubsetError)) throw e;
              errors.push(e);
              driverRejected = true;
            }
          }
        }
      } else if (ts.isEnumDeclaration(st)) {
        globals.push(st.name.text);
      } else if (ts.isExpressionStatement(st) && ts.isCallExpression(st.expression) && ts.isIdentifier(st.expression.expression)) {
        const hint = st.expression.expression.text;
        const arg = st.expression.arguments[0];
        if (REGISTRATIONS.has(hint) && arg && ts.isIdentifier(arg)) {
          const target = resolveAlias(checker.getSymbolAtLocation(arg)!).valueDeclaration;
          if (!target) errors.push(subsetError(arg, `${hint}() needs a function declared in this module`));
          else hintsOfDecl.set(target, [...(hintsOfDecl.get(target) ?? []), hint]);
        }
      }
    }
    for (const cd of classDecls) {
      const idx = unit.classes.length;
      classOfDecl.set(cd, idx);
      const methods: Record<string, number> = {};
      for (const m of cd.members) {
        if (ts.isMethodDeclaration(m) && m.body && ts.isIdentifier(m.name)) {
          const isStatic = (ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Static) !== 0;
          reserve(m, `${cd.name!.text}.${m.name.text}`, !isStatic, 0);
          if (!isStatic) methods[m.name.text] = codeOfDecl.get(m)!;
        }
      }
      const ctor = constructorOf(cd);
      const fields = [...(ctor ? ctor.parameters.filter((p) => ts.isParameterPropertyDeclaration(p, ctor)) : []), ...instanceFields(cd)].map((f) => unit.fieldDescr(f));
      const ctorConst = -unit.constOperand({ t: "global", module: mod, name: cd.name!.text }) - 1;
      unit.classes.push({ name: cd.name!.text, ctorConst, parent: -1, methods, fields, init: -1, residualWhy: null });
    }
  }
  // Parents, now that every class has an index; then the init codes of the classes
  // whose ancestors are all interpreter classes.
  const classDeclOf: ts.ClassDeclaration[] = [];
  const hostParent = new Set<number>();
  for (const [cd, idx] of classOfDecl) {
    classDeclOf[idx] = cd as ts.ClassDeclaration;
    const ext = (cd as ts.ClassDeclaration).heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
    if (!ext) continue;
    const psym = checker.getSymbolAtLocation(ext.expression);
    const pdecl = psym && resolveAlias(psym).valueDeclaration;
    const pidx = pdecl ? classOfDecl.get(pdecl) : undefined;
    if (pidx !== undefined) (unit.classes[idx] as { parent: number }).parent = pidx;
    else hostParent.add(idx);
  }
  const hostAncestor = (i: number): boolean => hostParent.has(i) || (unit.classes[i]!.parent >= 0 && hostAncestor(unit.classes[i]!.parent));
  const initCode = new Map<number, number>();
  classDeclOf.forEach((cd, idx) => {
    if (hostAncestor(idx)) return;
    const code = unit.reserveCode();
    initCode.set(idx, code);
    reserved[code] = { decl: constructorOf(cd) ?? (cd as unknown as ts.FunctionLikeDeclaration), name: `${cd.name!.text}.<init>`, isMethod: true, fnConst: 0, cls: { index: idx, decl: cd } };
  });
  /** How many arguments the init code of class `i` takes (JS's implicit constructor passes its parent's). */
  const initArity = (i: number): number => {
    const ctor = constructorOf(classDeclOf[i]!);
    if (ctor) return ctor.parameters.length;
    return unit.classes[i]!.parent >= 0 ? initArity(unit.classes[i]!.parent) : 0;
  };

  type PortalInfo = { fn: ts.FunctionLikeDeclaration; loop: ts.WhileStatement; merge: ts.ExpressionStatement; driver: number; code: number };
  const portalBox: { portal: PortalInfo | null } = { portal: null };
  const cejSites: ts.ExpressionStatement[] = [];
  let current = -1;
  const resolver: Resolver = {
    globalOf(sym, at) {
      const s = resolveAlias(sym);
      const decl = s.valueDeclaration ?? s.declarations?.[0];
      if (!decl) return null;
      const sf = decl.getSourceFile();
      const runtime = sf.fileName === join(HERE, "hints.d.ts") ? "hints" : sf.fileName === join(HERE, "io.d.ts") ? "io" : null;
      if (runtime) return { t: "runtime", module: runtime, name: s.name };
      const mod = moduleIndex.get(sf);
      if (mod !== undefined) {
        const top = isTopLevel(decl);
        if (!top) return null;
        if (ts.isVariableDeclaration(decl) && !(decl.parent.flags & ts.NodeFlags.Const)) {
          throw subsetError(at, `module-level '${s.name}' is not const`, "keep mutable state in an object");
        }
        return { t: "global", module: mod, name: s.name };
      }
      if (sf.isDeclarationFile) {
        const path = hostPath(at, checker);
        if (path) return { t: "host", path } satisfies RawConst;
      }
      return null;
    },
    hintOf(sym) {
      const s = resolveAlias(sym);
      const decl = s.valueDeclaration;
      return decl && decl.getSourceFile().fileName === join(HERE, "hints.d.ts") && HINT_NAMES.has(s.name) ? s.name : null;
    },
    codeOf(decl) {
      return codeOfDecl.get(decl) ?? -1;
    },
    hintsOf(decl) {
      return hintsOfDecl.get(decl) ?? [];
    },
    driverOf(sym) {
      return drivers.get(resolveAlias(sym)) ?? null;
    },
    portalFound(fn, loop, merge, driver) {
      if (portalBox.portal) throw subsetError(merge, "a second jitMergePoint: an interpreter has one portal loop");
      if (!isTopLevelFunction(fn)) throw subsetError(merge, "the portal must be a module-level function");
      portalBox.portal = { fn, loop, merge, driver, code: current };
    },
    canEnterJitFound(stmt) {
      cejSites.push(stmt);
      return cejSites.length - 1;
    },
    classOf(decl) {
      return classOfDecl.get(decl) ?? -1;
    },
  };

  const failures = new Map<number, Error>();
  reserved.forEach((r, idx) => {
    current = idx;
    try {
      const writer = new CodeWriter(unit, resolver, r.cls ? (constructorOf(r.cls.decl) ?? r.cls.decl) : r.decl, r.name, r.isMethod, r.fnConst);
      if (!r.cls) unit.codes[idx] = writer.lower();
      else {
        const p = unit.classes[r.cls.index]!.parent;
        const parent: ParentInit | null = p >= 0 ? { code: initCode.get(p)!, arity: initArity(p) } : null;
        unit.codes[idx] = writer.lowerInit(r.cls.decl, parent);
      }
    } catch (e) {
      if (!(e instanceof SubsetError)) throw e;
      failures.set(idx, e);
      unit.codes[idx] = stubCode(r, containsLoop(r.cls ? r.cls.decl : r.decl));
    }
  });
  // Which classes `new` allocates blank: the init codes of the class and its ancestors
  // lowered, without loops. The others stay residual calls (their constructors only
  // ever run as plain JS); that is not an error.
  const residualWhy = (i: number): string | null => {
    const c = unit.classes[i]!;
    if (hostAncestor(i)) return `${c.name} extends a class that is not an interpreter class`;
    const code = initCode.get(i)!;
    const err = failures.get(code);
    if (err) return `${c.name}'s constructor is outside the subset: ${err.message}`;
    if (unit.codes[code]!.hasLoop) return `${c.name}'s construction contains a loop`;
    return c.parent >= 0 && residualWhy(c.parent) !== null ? `its parent: ${residualWhy(c.parent)!}` : null;
  };
  unit.classes.forEach((c, i) => {
    const why = residualWhy(i);
    Object.assign(c as { init: number; residualWhy: string | null }, { init: why === null ? initCode.get(i)! : -1, residualWhy: why });
  });
  const found = portalBox.portal;
  if (drivers.size === 0 && !driverRejected) errors.push(new Error(`${entry}: no JitDriver declared (declare one with new JitDriver({ greens, reds }))`));
  else if (!found && !driverRejected) errors.push(new Error(`${entry}: no driver.jitMergePoint(...) found in a while loop of a module-level function`));
  if (found) {
    // Errors only matter in functions the tracer can reach.
    for (const idx of reachableCodes(unit.codes as RawJitCode[], unit.classes, found.code)) {
      const err = failures.get(idx);
      if (err) errors.push(err);
    }
    const driverInfo = [...drivers.values()].find((d) => d.index === found.driver)!;
    const portalCode = unit.codes[found.code]!;
    checkMergePointLiveness(portalCode, found.merge, errors);
    for (const s of cejSites) checkCanEnterJitPlacement(s, found.loop, errors);
    const entries = portalPrologue(found.fn, found.loop) !== null;
    const virtualizable = driverInfo.vable ? checkVirtualizable(driverInfo, found.merge, checker, unit, errors) : null;
    unit.portal = { code: found.code, driverConst: -driverInfo.constOperand - 1, name: reserved[found.code]!.name, greens: driverInfo.greens, reds: driverInfo.reds, entries, virtualizable };
  }
  const quasiEdits = new Map(sources.map((sf) => [sf, quasiImmutableWriteEdits(sf, checker, unit.quasiImmutableFields, errors)]));
  if (errors.length) throw new TranslationError(errors);

  const blankClasses = classDeclOf.filter((_, i) => unit.classes[i]!.init >= 0);
  const blankEdits = (sf: ts.SourceFile): Edit[] =>
    blankClasses.filter((cd) => cd.getSourceFile() === sf).flatMap((cd) => {
      const i = classOfDecl.get(cd)!;
      const p = unit.classes[i]!.parent;
      return blankAllocationEdits(cd, p >= 0 ? initArity(p) : null);
    });
  const modules = sources.map((sf) => ({
    path: sf.fileName,
    jit: emitVariant(sf, "jit", moduleGlobals.get(sf)!, found, cejSites, drivers, [...blankEdits(sf), ...quasiEdits.get(sf)!]),
    nojit: emitVariant(sf, "nojit", moduleGlobals.get(sf)!, found, cejSites, drivers),
  }));
  return { unit: unit.finish(), modules };

  function readDriverSpec(init: ts.NewExpression, index: number, constOperand: number): DriverInfo {
    const spec = init.arguments?.[0];
    const names = (prop: string): string[] => {
      if (!spec || !ts.isObjectLiteralExpression(spec)) throw subsetError(init, "new JitDriver needs an object literal { greens, reds }");
      const p = spec.properties.find((x) => x.name && ts.isIdentifier(x.name) && x.name.text === prop);
      if (!p || !ts.isPropertyAssignment(p) || !ts.isArrayLiteralExpression(p.initializer) || !p.initializer.elements.every(ts.isStringLiteral)) {
        throw subsetError(init, `JitDriver's '${prop}' must be an array literal of variable names`);
      }
      return p.initializer.elements.map((e) => (e as ts.StringLiteral).text);
    };
    const reds = names("reds");
    return { greens: names("greens"), reds, index, constOperand, vable: readVirtualizables(spec as ts.ObjectLiteralExpression, reds) };
  }
}

/** Reads the driver's `virtualizables: { red: ["field", "array[*]"] }` option (its shape only). */
function readVirtualizables(spec: ts.ObjectLiteralExpression, reds: readonly string[]): DriverInfo["vable"] {
  const p = spec.properties.find((x) => x.name && ts.isIdentifier(x.name) && x.name.text === "virtualizables");
  if (!p) return null;
  const hint = 'write virtualizables: { frame: ["sp", "stack[*]"] }';
  if (!ts.isPropertyAssignment(p) || !ts.isObjectLiteralExpression(p.initializer)) throw subsetError(p, "JitDriver's 'virtualizables' must be an object literal", hint);
  const entries = p.initializer.properties;
  if (entries.length !== 1) throw subsetError(p.initializer, "JitDriver's 'virtualizables' must name exactly one red", hint);
  const e = entries[0]!;
  const red = e.name && (ts.isIdentifier(e.name) || ts.isStringLiteral(e.name)) ? e.name.text : null;
  if (!ts.isPropertyAssignment(e) || red === null || !ts.isArrayLiteralExpression(e.initializer) || !e.initializer.elements.every(ts.isStringLiteral)) {
    throw subsetError(e, "a virtualizable must be a red's name with an array literal of field names", hint);
  }
  if (!reds.includes(red)) throw subsetError(e.name!, `virtualizable '${red}' is not a red of the driver`, "the frame must be one of the reds");
  return { red, at: e.name!, specs: e.initializer.elements as readonly ts.StringLiteral[] };
}

/**
 * Checks the virtualizable red against its class: every spec names a field the class
 * declares or inherits; `name[*]` is a readonly field of a mutable array type; a plain
 * field is not readonly. Returns what the tracer needs, or null after reporting errors.
 */
function checkVirtualizable(driver: DriverInfo, merge: ts.ExpressionStatement, checker: ts.TypeChecker, unit: UnitBuilder, errors: Error[]): RawVirtualizable | null {
  const vable = driver.vable!;
  const arg = (merge.expression as ts.CallExpression).arguments[0] as ts.ObjectLiteralExpression;
  const prop = arg.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === vable.red)!;
  const type = checker.getNonNullableType(checker.getTypeAtLocation(prop.name!));
  const classDecl = type.getSymbol()?.valueDeclaration;
  if (!classDecl || !ts.isClassDeclaration(classDecl) || classDecl.getSourceFile().isDeclarationFile) {
    errors.push(subsetError(vable.at, `virtualizable '${vable.red}' must have an interpreter class as its type, not '${checker.typeToString(type)}'`));
    return null;
  }
  const fields: RawFieldRef[] = [];
  const arrays: RawArrayFieldRef[] = [];
  const before = errors.length;
  const seen = new Set<string>();
  for (const lit of vable.specs) {
    const m = /^([A-Za-z_$][\w$]*)(\[\*\])?$/.exec(lit.text);
    if (!m) {
      errors.push(subsetError(lit, `'${lit.text}' is not a field name or 'name[*]'`));
      continue;
    }
    const [, name, star] = m as unknown as [string, string, string | undefined];
    if (seen.has(name)) {
      errors.push(subsetError(lit, `field '${name}' is listed twice`));
      continue;
    }
    seen.add(name);
    const sym = checker.getPropertyOfType(type, name);
    const decl = sym?.valueDeclaration;
    const owner = decl && (ts.isPropertyDeclaration(decl) ? decl.parent : ts.isParameter(decl) ? decl.parent.parent : null);
    if (!sym || !decl || !owner || !ts.isClassDeclaration(owner) || !owner.name) {
      errors.push(subsetError(lit, `class ${classDecl.name?.text ?? "?"} has no field '${name}'`, "list fields declared in the frame's class"));
      continue;
    }
    if ((ts.getCombinedModifierFlags(decl as ts.Declaration) & ts.ModifierFlags.Static) !== 0) {
      errors.push(subsetError(lit, `'${name}' is a static field`, "list instance fields"));
      continue;
    }
    const readonly = (ts.getCombinedModifierFlags(decl as ts.Declaration) & ts.ModifierFlags.Readonly) !== 0;
    const fieldType = checker.getTypeOfSymbolAtLocation(sym, lit);
    // The same descriptor the codewriter makes for `frame.name` (see fieldDescr there).
    const descr = unit.descr({ t: "field", owner: owner.name.text, field: name, kind: unit.kindOf(fieldType), immutable: readonly });
    const ref = { owner: owner.name.text, field: name, descr };
    if (star) {
      const ad = unit.arrayDescr(fieldType);
      const raw = ad >= 0 ? unit.descrs[ad]! : null;
      if (!raw || raw.t !== "array") errors.push(subsetError(lit, `'${name}[*]': field '${name}' does not hold an array`, `list it as '${name}'`));
      else if (raw.immutable) errors.push(subsetError(lit, `'${name}[*]': the items of a readonly array cannot be virtualizable`, "declare the field as T[]"));
      else if (!readonly) errors.push(subsetError(lit, `'${name}[*]': field '${name}' must be readonly (the frame keeps one array of a fixed length)`, `declare it 'readonly ${name}: ...'`));
      else arrays.push({ ...ref, items: ad });
    } else if (readonly) {
      errors.push(subsetError(lit, `'${name}' is readonly: a constant field needs no virtualizable`, "list only fields the interpreter writes"));
    } else fields.push(ref);
  }
  return errors.length === before ? { red: driver.reds.indexOf(vable.red), fields, arrays } : null;
}

function stubCode(r: Reserved, hasLoop: boolean): RawJitCode {
  return { name: r.name, where: "", nparams: 0, nregs: 0, regNames: [], insns: [], handlers: [], hasLoop, fnConst: r.fnConst, hints: ["dontLookInside"] };
}

/** The text path of a host global reference (`Math.floor`), or null when its root is not a host global. */
function hostPath(at: ts.Node, checker: ts.TypeChecker): string | null {
  let n: ts.Node = at;
  if (ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) n = n.parent;
  const parts: string[] = [];
  while (ts.isPropertyAccessExpression(n)) {
    parts.unshift(n.name.text);
    n = n.expression;
  }
  if (!ts.isIdentifier(n)) return null;
  const root = checker.getSymbolAtLocation(n);
  const rootDecl = root?.valueDeclaration ?? root?.declarations?.[0];
  if (!rootDecl || !rootDecl.getSourceFile().isDeclarationFile) return null;
  parts.unshift(n.text);
  return parts.join(".");
}

function isTopLevel(decl: ts.Declaration): boolean {
  if (ts.isSourceFile(decl.parent)) return true;
  if (ts.isVariableDeclaration(decl)) return ts.isVariableStatement(decl.parent.parent) && ts.isSourceFile(decl.parent.parent.parent);
  return false;
}

function isTopLevelFunction(fn: ts.FunctionLikeDeclaration): boolean {
  return ts.isFunctionDeclaration(fn) && ts.isSourceFile(fn.parent);
}

function containsLoop(node: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIterationStatement(n, false)) found = true;
    else ts.forEachChild(n, visit);
  };
  ts.forEachChild(node, visit);
  return found;
}

/** Jitcodes reachable from `start` through calls the tracer inlines (and init codes of `new`). */
function reachableCodes(codes: readonly RawJitCode[], classes: readonly RawClass[], start: number): Set<number> {
  const byMethod = new Map<string, number[]>();
  codes.forEach((c, i) => {
    const dot = c.name.lastIndexOf(".");
    if (dot >= 0) byMethod.set(c.name.slice(dot + 1), [...(byMethod.get(c.name.slice(dot + 1)) ?? []), i]);
  });
  const seen = new Set<number>();
  const todo = [start];
  while (todo.length) {
    const i = todo.pop()!;
    if (seen.has(i)) continue;
    seen.add(i);
    const c = codes[i]!;
    if (i !== start && ((c.hasLoop && !c.hints.includes("unrollSafe")) || c.hints.includes("dontLookInside") || c.hints.includes("elidable"))) continue;
    for (const ins of c.insns) {
      if (ins.o === "call") todo.push(ins.f);
      else if (ins.o === "callm") todo.push(...(byMethod.get(ins.m) ?? []));
      else if (ins.o === "new" && classes[ins.c]!.init >= 0) todo.push(classes[ins.c]!.init);
    }
  }
  return seen;
}

function checkMergePointLiveness(code: RawJitCode, merge: ts.ExpressionStatement, errors: Error[]): void {
  const at = code.insns.findIndex((i) => i.o === "merge");
  if (at < 0) return;
  const live = computeLiveness(code)[at]!;
  const ins = code.insns[at]!;
  const named = new Set<number>(ins.o === "merge" ? [...ins.g, ...ins.r] : []);
  for (const r of live) {
    if (!named.has(r)) {
      errors.push(subsetError(merge, `variable '${code.regNames[r] || "?"}' is live across the merge point but is neither a green nor a red`, "add it to the driver's greens or reds, or declare it inside the loop"));
    }
  }
}

function checkCanEnterJitPlacement(s: ts.ExpressionStatement, loop: ts.WhileStatement, errors: Error[]): void {
  // Walk up: each enclosing statement must end right after us, up to the loop body.
  let n: ts.Node = s;
  for (;;) {
    const p: ts.Node = n.parent;
    if (ts.isTryStatement(p) || ts.isCatchClause(p)) {
      errors.push(subsetError(s, "canEnterJit must not be inside try/catch"));
      return;
    }
    if (p === loop) return;
    if (ts.isBlock(p) || ts.isCaseClause(p) || ts.isDefaultClause(p)) {
      const stmts = p.statements;
      const rest = stmts.slice(stmts.indexOf(n as ts.Statement) + 1);
      const ok = rest.every((r) => ts.isContinueStatement(r) || ts.isBreakStatement(r));
      if (!ok) {
        errors.push(subsetError(s, "canEnterJit must be the last thing before the loop goes back to its top", "move it to the end of the branch that jumps backwards"));
        return;
      }
      if (rest.some((r) => ts.isContinueStatement(r))) return;
    } else if (!ts.isIfStatement(p) && !ts.isSwitchStatement(p) && !ts.isCaseBlock(p) && !ts.isLabeledStatement(p)) {
      errors.push(subsetError(s, "canEnterJit must be directly inside the portal loop, an if or a switch"));
      return;
    }
    if (ts.isSourceFile(p)) return;
    n = p;
  }
}

/**
 * The statements of the portal function before its loop, when the portal can have
 * function entries: the loop (or the label around it) is a statement of the function's
 * body, the last parameter is not a rest parameter, and every declaration before the
 * loop declares plain identifiers (a resumed invocation skips their initialisers).
 * Null otherwise: the portal then has no entry hook, and guest calls stay residual calls.
 */
function portalPrologue(fn: ts.FunctionLikeDeclaration, loop: ts.WhileStatement): { before: ts.Statement[]; loopStatement: ts.Statement } | null {
  let loopStatement: ts.Statement = loop;
  while (ts.isLabeledStatement(loopStatement.parent)) loopStatement = loopStatement.parent;
  const body = fn.body;
  if (!body || !ts.isBlock(body) || loopStatement.parent !== body) return null;
  const last = fn.parameters[fn.parameters.length - 1];
  if (last?.dotDotDotToken) return null;
  const before = body.statements.slice(0, body.statements.indexOf(loopStatement));
  for (const st of before) {
    if (ts.isVariableStatement(st) && !st.declarationList.declarations.every((d) => ts.isIdentifier(d.name))) return null;
  }
  return { before, loopStatement };
}

/** The runnable JS of one module; `extra` are further edits (the jit variant's classes). */
function emitVariant(
  sf: ts.SourceFile,
  variant: "jit" | "nojit",
  globals: string[],
  portal: { fn: ts.FunctionLikeDeclaration; loop: ts.WhileStatement; merge: ts.ExpressionStatement; driver: number } | null,
  cejSites: ts.ExpressionStatement[],
  drivers: Map<ts.Symbol, DriverInfo>,
  extra: readonly Edit[] = [],
): string {
  const edits: Edit[] = [...extra];
  // Defined first: module-level code may construct (`const w_None = new W_None()`).
  if (extra.length > 0) edits.push({ start: 0, end: 0, text: `const ${BLANK} = Symbol.for("tsjit.blank");\n` });
  const text = sf.getFullText();
  for (const st of sf.statements) {
    if ((ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      const spec = st.moduleSpecifier.text;
      let out: string | null = null;
      if (spec === "tsjit/hints" || spec === "tsjit/io") out = pathToFileURL(RUNTIME_MODULES[spec === "tsjit/hints" ? "hints" : "io"]).href;
      else if (spec.startsWith(".")) out = spec.replace(/\.ts$/, ".js").replace(/^(?!.*\.js$)(.*)$/, "$1.js");
      if (out !== null) edits.push({ start: st.moduleSpecifier.getStart(sf), end: st.moduleSpecifier.getEnd(), text: JSON.stringify(out) });
    }
  }
  if (portal && portal.fn.getSourceFile() === sf) {
    const driver = [...drivers.values()].find((d) => d.index === portal.driver)!;
    const vars = [...driver.greens, ...driver.reds];
    const loop = portal.loop;
    const body = loop.statement as ts.Block;
    // Green and red variables are assigned when the JIT hands back: they must be `let`.
    const visit = (n: ts.Node): void => {
      if (ts.isVariableDeclarationList(n) && n.flags & ts.NodeFlags.Const && n.declarations.some((d) => ts.isIdentifier(d.name) && vars.includes(d.name.text))) {
        const start = n.getStart(sf);
        edits.push({ start, end: start + 5, text: "let" });
      }
      ts.forEachChild(n, visit);
    };
    ts.forEachChild(portal.fn, visit);
    edits.push({ start: portal.merge.getStart(sf), end: portal.merge.getEnd(), text: ";" });
    const prologue = variant === "jit" ? portalPrologue(portal.fn, loop) : null;
    if (variant === "jit") {
      const cond = loop.expression.getText(sf);
      edits.push({ start: loop.getStart(sf), end: body.getStart(sf) + 1, text: `$tsjit$portal: for (${prologue ? "" : "let $tsjit$resume = false"}; $tsjit$resume || (${cond}); ) { $tsjit$resume = false;` });
    }
    if (prologue) {
      // A portal invocation starts with the engine's entry hook (function entries are
      // counted and compiled like loops), and can be resumed at its merge point: called
      // with `$tsjit$at` (the green and red values), it skips the statements before the
      // loop and enters the loop with those values (see Engine.resumePortal).
      const d = [...drivers.values()].find((x) => x.index === portal.driver)!;
      const driverName = (((portal.merge.expression as ts.CallExpression).expression as ts.PropertyAccessExpression).expression).getText(sf);
      const params = portal.fn.parameters;
      const at = params.length ? params[params.length - 1]!.getEnd() : portal.fn.parameters.pos;
      edits.push({ start: at, end: at, text: `${params.length ? ", " : ""}$tsjit$at?: any` });
      for (const st of prologue.before) {
        if (ts.isVariableStatement(st)) {
          for (const decl of st.declarationList.declarations) {
            if (!decl.initializer) continue;
            edits.push({ start: decl.initializer.getStart(sf), end: decl.initializer.getStart(sf), text: "$tsjit$at !== undefined ? undefined as any : (" });
            edits.push({ start: decl.initializer.getEnd(), end: decl.initializer.getEnd(), text: ")" });
          }
        } else if (!ts.isFunctionDeclaration(st)) {
          edits.push({ start: st.getStart(sf), end: st.getStart(sf), text: "if ($tsjit$at === undefined) { " });
          edits.push({ start: st.getEnd(), end: st.getEnd(), text: " }" });
        }
      }
      const start = prologue.loopStatement.getStart(sf);
      edits.push({
        start,
        end: start,
        text:
          `let $tsjit$resume = false; ` +
          `if ($tsjit$at !== undefined) { [${vars.join(", ")}] = $tsjit$at; $tsjit$resume = true; } ` +
          `else { const $x: any = ${driverName}.$enterPortal([${d.greens.join(", ")}], [${d.reds.join(", ")}]); ` +
          `if ($x !== null) { if ($x.done) return $x.value; [${vars.join(", ")}] = $x.values; $tsjit$resume = true; } }\n`,
      });
    }
    cejSites.forEach((s, site) => {
      if (s.getSourceFile() !== sf) return;
      let replacement = ";";
      if (variant === "jit") {
        const call = (s.expression as ts.CallExpression).expression as ts.PropertyAccessExpression;
        const d = call.expression.getText(sf);
        // The loop's condition is tested here, once: the JIT may trace from the values
        // passed, so they must be those of a next iteration that really runs.
        replacement =
          `{ if (!(${loop.expression.getText(sf)})) break $tsjit$portal; $tsjit$resume = true; ` +
          `const $x: any = ${d}.$canEnterJit(${site}, [${driver.greens.join(", ")}], [${driver.reds.join(", ")}]); ` +
          `if ($x !== null) { if ($x.done) return $x.value; [${vars.join(", ")}] = $x.values; $tsjit$resume = true; continue $tsjit$portal; } }`;
      }
      edits.push({ start: s.getStart(sf), end: s.getEnd(), text: replacement });
    });
  }
  // Back to front; at one position a replacement before an insertion (which must stay).
  edits.sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  out += `\nexport function $tsjit$link() { return { ${globals.join(", ")} }; }\n`;
  return ts.transpileModule(out, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext }, fileName: sf.fileName }).outputText;
}
