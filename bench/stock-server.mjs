// The stock y-websocket server (@y/websocket-server, as its own src/server.js sets it up) on a port the OS
// picks, for the fan-out benchmark. No persistence: YPERSISTENCE is left unset.
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { setupWSConnection } from '@y/websocket-server/utils';

const wss = new WebSocketServer({ noServer: true });
const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/plain' });
  response.end('okay');
});

wss.on('connection', setupWSConnection);
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`stock y-websocket-server listening on port ${port}`);
});

process.on('SIGTERM', () => process.exit(0));
