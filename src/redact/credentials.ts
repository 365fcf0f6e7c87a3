/**
 * Credentials out of repository URLs, for everything we write (the Argo CD Application's
 * `repoURL`, the AppProject's `sourceRepos`) and print (CLI messages, logs, HTTP answers, errors).
 * A URL given as `https://user:token@host/repo.git` works for `git clone`, but committed into Git
 * or echoed in an answer it hands the token to every reader. Argo CD takes credentials from its
 * own repository secrets, so the bare URL is also the right thing to write there.
 *
 * The one function works on a URL and on free text holding URLs (a git error message).
 */

/** Query parameters that carry a secret in the URLs of Git hosts and proxies. */
const SECRET_PARAMS =
  'access_token|private_token|token|oauth_token|password|passwd|api_key|apikey|sig|signature|x-oss-signature|x-amz-signature|x-amz-credential|x-amz-security-token';

/** `scheme://userinfo@`: the userinfo ends at the last `@` before the host's end. */
const USERINFO = /\b([a-z][a-z0-9+.-]*):\/\/([^\s/?#'"<>@]*(?:@[^\s/?#'"<>@]*)*)@/gi;
const SECRET_QUERY = new RegExp(`([?&])(?:${SECRET_PARAMS})=[^&#\\s'"<>]*(&?)`, 'gi');

/**
 * `text` with credentials removed from every URL in it:
 * - `user:password@` goes entirely, and so does a lone `user@` for http(s), git and other schemes,
 *   since hosts take tokens as the user name (`https://<token>@github.com/...`);
 * - for `ssh://` (and `git+ssh://`, `ssh+git://`) only the password goes: the user name selects the
 *   account (`ssh://git@github.com/...`) and is not a secret;
 * - secret query parameters (`access_token`, `private_token`, `token`, signatures, ...) are dropped.
 * scp-like addresses (`git@host:path`) carry no password and are left as they are.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(USERINFO, (_m, scheme: string, userinfo: string) => {
      if (/ssh/i.test(scheme)) {
        const user = userinfo.split(':', 1)[0]!;
        return user ? `${scheme}://${user}@` : `${scheme}://`;
      }
      return `${scheme}://`;
    })
    .replace(SECRET_QUERY, (_m, sep: string, after: string) =>
      sep === '?' ? (after ? '?' : '') : after ? '&' : '',
    );
}
