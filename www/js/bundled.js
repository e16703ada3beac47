// The site's worker scripts by the names they are served under. In www/ each is its own module
// graph, fetched file by file; `make dist` bundles each into one file named by its content
// (tools/bundle.mjs), and its bundles carry this table filled with those names, so a browser
// keeps them for good and a second widget on a course page asks the network for none of them.

/** @type {Record<string, string>} a script's path in www/ → its bundle's, from the site's root */
export const BUNDLED = {};
