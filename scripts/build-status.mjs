// What build/Release/build-status.json says after a build: each optional part as this
// build found it, except a part this configure did not find that an earlier build made
// and whose library is still there. That one keeps its earlier status: a second install
// in another environment (npx in a checkout, a shell without XPUDIAG_SYCL_COMPILER) must
// not turn "sycl: built" into "not built" while the plugin it built is in place.

/** The library an optional part's CMake target builds, in the build's Release folder. */
export const libraryOf = (target) => `lib${target}.so`;

/**
 * @param {{ optional?: Record<string, { built: boolean, target?: string, reason?: string }> } | null | undefined} previous
 * @param {{ addon: { built: boolean }, optional: Record<string, { built: boolean, target?: string, reason?: string }> }} current
 * @param {(file: string) => boolean} libraryExists  whether build/Release/<file> exists
 * @returns {{ status: typeof current, kept: string[] }}
 */
export function mergeBuildStatus(previous, current, libraryExists) {
  const optional = { ...current.optional };
  const kept = [];
  for (const [name, now] of Object.entries(current.optional)) {
    const before = previous?.optional?.[name];
    // Only a part this build did not try (no target: its toolchain was not found) keeps its past.
    if (now.built || now.target || !before?.built || !before.target || !libraryExists(libraryOf(before.target))) continue;
    optional[name] = before;
    kept.push(name);
  }
  return { status: { ...current, optional }, kept };
}
