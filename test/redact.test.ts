/**
 * Credentials never reach Git or a message: the one redaction helper, on URLs and on text.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/http/log.js';
import { redactCredentials } from '../src/redact/credentials.js';

describe('redactCredentials', () => {
  it.each([
    ['https://user:s3cret@github.com/org/repo.git', 'https://github.com/org/repo.git'],
    ['https://ghp_TOKEN123@github.com/org/repo.git', 'https://github.com/org/repo.git'],
    ['https://x-access-token:ghs_abc@github.com/o/r', 'https://github.com/o/r'],
    ['http://u:p%40ss@127.0.0.1:8080/r.git', 'http://127.0.0.1:8080/r.git'],
    ['https://u:p@ss@host/r.git', 'https://host/r.git'],
    ['git://u:p@host/r.git', 'git://host/r.git'],
    ['ssh://git:pw@host/r.git', 'ssh://git@host/r.git'],
    ['ssh://git@host/r.git', 'ssh://git@host/r.git'],
    ['git@github.com:org/repo.git', 'git@github.com:org/repo.git'],
    [
      'https://gitlab.example/r.git?private_token=glpat-x&ref=main',
      'https://gitlab.example/r.git?ref=main',
    ],
    ['https://h/r.git?ref=main&access_token=abc', 'https://h/r.git?ref=main'],
    ['https://h/r.git?token=abc', 'https://h/r.git'],
    ['https://github.com/example/agent-canary.git', 'https://github.com/example/agent-canary.git'],
    ['/srv/git/fleet', '/srv/git/fleet'],
  ])('%s -> %s', (input, expected) => {
    expect(redactCredentials(input)).toBe(expected);
  });

  it('cleans every URL inside a message and leaves the rest as it is', () => {
    const msg =
      "fatal: unable to access 'https://bot:hunter2@git.example/a.git/': Could not resolve host; also https://tok@h/b.git";
    expect(redactCredentials(msg)).toBe(
      "fatal: unable to access 'https://git.example/a.git/': Could not resolve host; also https://h/b.git",
    );
  });
});

describe('server logs', () => {
  it('use the same helper: a repository URL in a logged error loses its credentials', () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      stream: { write: (l: string) => lines.push(l) > 0 },
    });
    logger.error('gitops api error', {
      error: new Error(
        'cannot clone https://bot:hunter2@git.example/fleet.git?private_token=glpat-x (refused)',
      ),
    });
    const line = JSON.parse(lines.join('')) as { error: { message: string } };
    expect(line.error.message).toBe('cannot clone https://git.example/fleet.git (refused)');
  });
});
