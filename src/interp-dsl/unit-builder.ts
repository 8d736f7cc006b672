/**
 * @fileoverview Collects what the codewriter produces for a whole interpreter: the
 * constant pool, the descriptor table, the jitcodes and classes, with interning so that
 * the same field or constant gets one entry. Also maps TypeScript types to the IR's
 * kinds and array descriptors, since every part of the codewriter needs that.
 */

import ts from "typescript";
import type { Kind } from "../ir/ops.js";
import { TYPED_ARRAY_FLAVOURS, type ArrayFlavour } from "../ir/descr.js";
import type { RawClass, RawConst, RawDescr, RawJitCode, RawPortal, RawUnit } from "./jitcode.js";

const TYPED_ARRAYS = new Set<string>(TYPED_ARRAY_FLAVOURS);

/** Accumulates one translation unit. */
export class UnitBuilder {
  readonly modules: string[] = [];
  readonly consts: RawConst[] = [];
  readonly descrs: RawDescr[] = [];
  readonly codes: (RawJitCode | null)[] = [];
  readonly classes: RawClass[] = [];
  portal: RawPortal | null = null;
  private readonly constKeys = new Map<string, number>();
  private readonly descrKeys = new Map<string, number>();

  /** Declarations of the fields registered with `quasiImmutable(Class, "field")`. */
  readonly quasiImmutableFields = new Set<ts.Node>();

  constructor(readonly checker: ts.TypeChecker) {}

  /** The operand of a constant (interned). */
  constOperand(c: RawConst): number {
    const key = JSON.stringify(c);
    let i = this.constKeys.get(key);
    if (i === undefined) {
      i = this.consts.length;
      this.consts.push(c);
      this.constKeys.set(key, i);
    }
    return -i - 1;
  }

  /** The operand of a JS literal value. */
  literal(v: number | string | boolean | null | undefined): number {
    if (v === undefined) return this.constOperand({ t: "undefined" });
    if (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0))) {
      return this.constOperand({ t: "num", v: Object.is(v, -0) ? "-0" : (String(v) as "NaN" | "Infinity" | "-Infinity") });
    }
    return this.constOperand({ t: "json", v });
  }

  /** The index of a descriptor (interned). */
  descr(d: RawDescr): number {
    const key = JSON.stringify(d);
    let i = this.descrKeys.get(key);
    if (i === undefined) {
      i = this.descrs.length;
      this.descrs.push(d);
      this.descrKeys.set(key, i);
    }
    return i;
  }

  /** Reserves a jitcode slot (filled once the function is lowered). */
  reserveCode(): number {
    this.codes.push(null);
    return this.codes.length - 1;
  }

  /** The finished unit. Every reserved slot must have been filled (lowered or stubbed). */
  finish(): RawUnit {
    return {
      modules: this.modules,
      codes: this.codes.map((c, i) => {
        if (c === null) throw new Error(`jitcode slot ${i} was reserved but never filled`);
        return c;
      }),
      descrs: this.descrs,
      consts: this.consts,
      classes: this.classes,
      portal: this.portal,
    };
  }

  // ---- types ----

  /** The IR kind of a TypeScript type. */
  kindOf(t: ts.Type): Kind {
    const f = t.flags;
    if (f & (ts.TypeFlags.NumberLike & ~ts.TypeFlags.Enum) || f & ts.TypeFlags.Enum) return "n";
    if (f & ts.TypeFlags.BooleanLike) return "b";
    if (f & ts.TypeFlags.StringLike) return "s";
    if (t.isUnion()) {
      const kinds = new Set(t.types.map((u) => (u.flags & ts.TypeFlags.Null ? "p" : this.kindOf(u))));
      return kinds.size === 1 ? [...kinds][0]! : "v";
    }
    if (f & ts.TypeFlags.Object || f & ts.TypeFlags.Null || f & ts.TypeFlags.NonPrimitive) return "p";
    return "v";
  }

  isNumber(t: ts.Type): boolean {
    return this.kindOf(t) === "n" && !t.isUnion();
  }
  isString(t: ts.Type): boolean {
    return (t.flags & ts.TypeFlags.StringLike) !== 0 || (t.isUnion() && t.types.every((u) => (u.flags & ts.TypeFlags.StringLike) !== 0));
  }
  isBoolean(t: ts.Type): boolean {
    return this.kindOf(t) === "b";
  }

  /**
   * The descriptor index of a field of an interpreter class, given its declaration (a
   * property declaration or a constructor's parameter property). Its kind comes from
   * the declared type, so every access of the field (narrowed or not) shares one
   * descriptor.
   */
  fieldDescr(decl: ts.PropertyDeclaration | ts.ParameterDeclaration): number {
    const cls = (ts.isParameter(decl) ? decl.parent.parent : decl.parent) as ts.ClassLikeDeclaration;
    const sym = this.checker.getSymbolAtLocation(decl.name);
    const t = sym ? this.checker.getTypeOfSymbol(sym) : this.checker.getTypeAtLocation(decl);
    const readonly = (ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Readonly) !== 0;
    const name = ts.isIdentifier(decl.name) ? decl.name.text : decl.name.getText();
    const owner = cls.name?.text ?? "anonymous";
    if (this.quasiImmutableFields.has(decl)) return this.descr({ t: "field", owner, field: name, kind: this.kindOf(t), immutable: false, quasiImmutable: true });
    return this.descr({ t: "field", owner, field: name, kind: this.kindOf(t), immutable: readonly });
  }

  /** The array descriptor index for an array or typed-array type, or -1. */
  arrayDescr(t: ts.Type): number {
    const nn = this.checker.getNonNullableType(t);
    const sym = nn.getSymbol();
    if (sym && TYPED_ARRAYS.has(sym.name)) {
      return this.descr({ t: "array", flavour: sym.name as ArrayFlavour, elem: "number", kind: "n", immutable: false });
    }
    if (this.checker.isArrayType(nn)) {
      const elem = this.checker.getTypeArguments(nn as ts.TypeReference)[0];
      const immutable = sym?.name === "ReadonlyArray";
      const elemType = elem ? this.checker.typeToString(elem) : "unknown";
      return this.descr({ t: "array", flavour: "Array", elem: elemType, kind: elem ? this.kindOf(elem) : "v", immutable });
    }
    return -1;
  }
}
