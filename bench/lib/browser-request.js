/** The request the benchmarks replay: a browser-like GET with varied paths, queries and cookies. */
export function browserGet(i) {
  return Buffer.from(
    `GET /products/${i % 5000}?page=${i % 7}&sort=price HTTP/1.1\r\n` +
      'Host: shop.example.com\r\n' +
      'User-Agent: Mozilla/5.0 (X11; Linux x86_64) reprise-bench\r\n' +
      'Accept: text/html,application/xhtml+xml\r\n' +
      'Accept-Encoding: gzip, deflate\r\n' +
      'Accept-Language: en-US,en;q=0.9\r\n' +
      `Cookie: session=${((i * 2654435761) >>> 0).toString(16)}\r\n` +
      'Connection: keep-alive\r\n\r\n',
    'latin1',
  );
}
