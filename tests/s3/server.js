// server.js - starts @20minutes/s3rver for docapi's presigning tests.
//
//   node tests/s3/server.js --dir DIR --port PORT --keys KEYS.json
//
// KEYS.json is a JSON array of [accessKeyId, secretAccessKey] pairs; every
// pair is registered with s3rver's account (the built-in S3RVER/S3RVER pair
// is revoked), so s3rver VERIFIES the SigV4 signature of every request made
// with one of these keys and answers 403 to a wrong signature, an unknown
// key or an expired URL. Listens on 127.0.0.1 only. Prints
// "s3rver listening on 127.0.0.1:PORT" once ready.
'use strict'
const fs = require('node:fs')
const S3rver = require('@20minutes/s3rver')
const AWSAccount = require('@20minutes/s3rver/lib/models/account')

function arg(name) {
  const i = process.argv.indexOf(name)
  if (i < 0 || i + 1 >= process.argv.length) {
    console.error(`usage: server.js --dir DIR --port PORT --keys KEYS.json (missing ${name})`)
    process.exit(2)
  }
  return process.argv[i + 1]
}

async function main() {
  const dir = arg('--dir')
  const port = Number(arg('--port'))
  const keys = JSON.parse(fs.readFileSync(arg('--keys'), 'utf8'))
  const account = AWSAccount.DUMMY_ACCOUNT
  account.revokeAccessKey('S3RVER')
  for (const [id, secret] of keys) account.createKeyPair(id, secret)
  fs.mkdirSync(dir, { recursive: true })
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    directory: dir,
    silent: true,
    allowMismatchedSignatures: false,
    vhostBuckets: false,
  })
  const addr = await server.run()
  console.log(`s3rver listening on ${addr.address}:${addr.port}`)
  const stop = () => server.close().finally(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
