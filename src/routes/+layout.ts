// A client-rendered app: the REST API and the documents live behind our own server, and the page must
// open from IndexedDB when that server is unreachable, so nothing is rendered on the server.
export const ssr = false;
export const prerender = false;
