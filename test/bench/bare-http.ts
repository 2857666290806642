/** The baseline of the webhook bench: a bare `node:http` server that reads the body and answers 202. */
import { createServer } from 'node:http';

const port = Number(process.env.PORT);
createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = '{"status":"accepted"}';
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(port, '127.0.0.1', () => console.log('bare http listening'));
