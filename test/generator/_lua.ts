/**
 * Runs an Argo CD Lua health script on an object with fengari (a Lua VM in JavaScript), the way
 * Argo CD does: the object is the global `obj`, the script returns a table `{status, message}`.
 * Argo CD uses gopher-lua (Lua 5.1); the scripts use only what both dialects share.
 */
import { createRequire } from 'node:module';

interface Fengari {
  lua: Record<string, any>;
  lauxlib: Record<string, any>;
  lualib: Record<string, any>;
  to_luastring(s: string): Uint8Array;
  to_jsstring(b: Uint8Array): string;
}
const fengari = createRequire(import.meta.url)('fengari') as Fengari;

/** A Lua literal for JSON-like data (tables for objects and arrays). */
export function luaLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `{${v.map(luaLiteral).join(', ')}}`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `[${JSON.stringify(k)}] = ${luaLiteral(x)}`)
    .join(', ')}}`;
}

export function runHealth(script: string, obj: unknown): { status: string; message: string } {
  const { lua, lauxlib, lualib, to_luastring, to_jsstring } = fengari;
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  const src = `obj = ${luaLiteral(obj)}\nlocal function health()\n${script}\nend\nlocal hs = health()\nreturn hs.status, hs.message`;
  if (
    lauxlib.luaL_loadstring(L, to_luastring(src)) !== lua.LUA_OK ||
    lua.lua_pcall(L, 0, 2, 0) !== lua.LUA_OK
  ) {
    throw new Error(`lua: ${to_jsstring(lua.lua_tostring(L, -1))}`);
  }
  return {
    status: to_jsstring(lua.lua_tostring(L, -2)),
    message: to_jsstring(lua.lua_tostring(L, -1)),
  };
}
