import { expect } from 'chai';
import { CloseError, ConnectError, UpgradeError, closedError, connectError, refusedError, tooLargeError } from '../lib/errors.js';

describe('errors: the words both transports use', function () {
  this.timeout(2000);

  it('a close carries its code and reason', () => {
    const e = closedError(4001, 'bye');
    expect(e).to.be.instanceOf(CloseError).and.include({ code: 4001, reason: 'bye', name: 'CloseError' });
    expect(e.message).to.equal('connection closed (code 4001: bye)');
  });

  it('a message over maxMessageSize is a 1009 close', () => {
    expect(tooLargeError(10))
      .to.include({ code: 1009 })
      .and.have.property('message', 'a message was larger than maxMessageSize (10 bytes)');
  });

  it('a refused upgrade names the status, and a redirect hints at followRedirects', () => {
    expect(refusedError('ws://h/?token=s3cret', 503).message).to.equal(
      'server refused the WebSocket upgrade of ws://h/?token=*** with HTTP 503',
    );
    expect(refusedError('ws://h/', 302)).to.be.instanceOf(UpgradeError).and.include({ status: 302 });
    expect(refusedError('ws://h/', 301).message).to.match(/set followRedirects: true/);
  });

  it('TLS spoken to a plain-text server says so instead of OpenSSL’s words', () => {
    const e = connectError('wss://127.0.0.1:1/', 'write EPROTO 40A8…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number');
    expect(e).to.be.instanceOf(ConnectError);
    expect(e.message).to.match(/^could not connect to wss:\/\/127.0.0.1:1\/: the server does not speak TLS; use ws:\/\//);
    expect(connectError('ws://127.0.0.1:1/', 'connect ECONNREFUSED').message).to.equal(
      'could not connect to ws://127.0.0.1:1/: connect ECONNREFUSED',
    );
  });
});
