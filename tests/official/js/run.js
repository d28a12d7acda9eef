// Drives LiveChat's own JS SDK (@livechat/lc-sdk-js 4.x, customer RTM, API v3.4) against a
// server given by the environment, and prints one JSON line per step for
// tests/official/test_lc_sdk_js.py to check:
//   LC_API_URL          host:port of the server (the SDK always speaks wss://)
//   LC_ORGANIZATION_ID  the server's organization_id
//   LC_ACCESS_TOKEN     a customer access token (without "Bearer ")
//   NODE_EXTRA_CA_CERTS the throwaway CA that signed the server's certificate
// Exit status 0 when every step finished, 1 otherwise (the failing step is printed).
"use strict";

const { Customer } = require("@livechat/lc-sdk-js");

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const emit = (step, data) => process.stdout.write(JSON.stringify({ step, data }) + "\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const STEP_TIMEOUT_MS = 5000;
const HEARTBEAT_TIMEOUT_MS = 15000;

function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main() {
  const rtm = new Customer.RTM(env("LC_ORGANIZATION_ID"), { apiUrl: env("LC_API_URL") });
  const pushes = [];
  const waiters = [];
  for (const name of Object.values(Customer.Objects.Pushes)) {
    rtm.on(name, (payload) => {
      pushes.push({ name, payload });
      emit("push", { name, payload });
      for (const waiter of waiters.slice()) {
        if (waiter.name === name && waiter.match(payload)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(payload);
        }
      }
    });
  }
  const nextPush = (name, match = () => true) => {
    const seen = pushes.find((push) => push.name === name && match(push.payload));
    if (seen) return Promise.resolve(seen.payload);
    return within(
      STEP_TIMEOUT_MS,
      new Promise((resolve) => waiters.push({ name, match, resolve })),
      `the ${name} push`,
    );
  };

  // The SDK pings with {"action": "ping"} (no payload) every 10 s on its own; watch its answers.
  const heartbeat = { answered: 0, failed: 0 };
  let heartbeatAnswered;
  const firstHeartbeat = new Promise((resolve) => (heartbeatAnswered = resolve));
  const send = rtm.send.bind(rtm);
  rtm.send = (action, payload) => {
    const result = send(action, payload);
    if (action === "ping") {
      result.then(
        (answer) => {
          heartbeat.answered += 1;
          emit("heartbeat", { answer });
          heartbeatAnswered(answer);
        },
        (error) => {
          heartbeat.failed += 1;
          emit("heartbeat_failed", { error });
        },
      );
    }
    return result;
  };

  const step = async (name, call) => {
    let result;
    try {
      result = await within(STEP_TIMEOUT_MS, call(), name);
    } catch (error) {
      emit("failed", { name, error: error instanceof Error ? error.message : error });
      throw error;
    }
    emit(name, result);
    return result;
  };

  await within(STEP_TIMEOUT_MS, rtm.connect(), "the WebSocket connection");
  emit("connected", {});
  await step("login", () =>
    rtm.login({
      token: `Bearer ${env("LC_ACCESS_TOKEN")}`,
      customer: {},
      is_mobile: false,
      application: { name: "lc-sdk-js smoke test", version: "4.0.2" },
      pushes: { "3.4": Object.values(Customer.Objects.Pushes) },
    }),
  );
  await step("list_chats_before", () => rtm.listChats());
  const started = await step("start_chat", () =>
    rtm.startChat({
      chat: { thread: { events: [{ type: "message", text: "Hello from lc-sdk-js" }] } },
    }),
  );
  emit("incoming_chat", await nextPush("incoming_chat", (p) => p.chat.id === started.chat_id));
  const sent = await step("send_event", () =>
    rtm.sendEvent(started.chat_id, { type: "message", text: "A second message" }),
  );
  emit(
    "incoming_event",
    await nextPush("incoming_event", (p) => p.event && p.event.id === sent.event_id),
  );
  await step("list_chats", () => rtm.listChats());
  await step("list_threads", () => rtm.listThreads(started.chat_id));
  await step("get_chat", () => rtm.getChat(started.chat_id, started.thread_id));
  await step("deactivate_chat", () => rtm.deactivateChat(started.chat_id));
  emit("chat_deactivated", await nextPush("chat_deactivated", (p) => p.chat_id === started.chat_id));
  // The SDK's heartbeat message sent by hand (past the watch), then the heartbeat itself.
  await step("ping", () => send("ping", undefined));
  await within(HEARTBEAT_TIMEOUT_MS, firstHeartbeat, "the SDK's own heartbeat ping");
  await sleep(100);
  emit("done", { heartbeat, pushes: pushes.map((push) => push.name) });
  rtm.socket.close();
  process.exit(heartbeat.failed === 0 ? 0 : 1);
}

main().catch((error) => {
  emit("error", { message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
