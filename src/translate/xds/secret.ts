/** Stage B: IR TLS secrets → SDS Secret. */
import type { TlsSecret } from '../../model/ir.js';
import type { Secret } from './types.js';

export function buildSecret(secret: TlsSecret): Secret {
  return {
    name: secret.name,
    type: {
      $case: 'tlsCertificate',
      value: {
        certificateChain: { specifier: { $case: 'inlineBytes', value: secret.certificateChain } },
        privateKey: { specifier: { $case: 'inlineBytes', value: secret.privateKey } },
      },
    },
  };
}
