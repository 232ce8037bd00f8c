#!/usr/bin/env python3
"""The taskqueue dashboard in a real headless Chromium.

Starts the real taskqueued (with --http on a free loopback port and a token),
queues tasks with the real taskqueuectl, and checks in the browser: sign-in,
live counts as tasks are queued and finish (from the event stream), opening
a task, retrying a failed one. Keeps a screenshot as an artifact.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.common.exceptions import (ElementClickInterceptedException,
                                        NoSuchElementException,
                                        StaleElementReferenceException)
from selenium.webdriver.support.ui import WebDriverWait

ARGS = None
TOKEN = "browser-test-token-0123456789"

PLUGIN = {
    "processors": [
        {"command": "work", "exec": ["/bin/sh", "-c", "echo working; sleep 0.5"]},
        {"command": "breaks",
         "exec": ["/bin/sh", "-c", "echo about to fail; echo disk on fire >&2; exit 3"]},
    ]
}


class Daemon:
    """taskqueued in a temporary state dir; stopped by pid."""

    def __init__(self, tmp):
        self.state_dir = os.path.join(tmp, "state")
        self.plugin_dir = os.path.join(tmp, "plugins")
        os.makedirs(self.plugin_dir, mode=0o700)
        with open(os.path.join(self.plugin_dir, "browser.json"), "w") as f:
            json.dump(PLUGIN, f)
        token_file = os.path.join(tmp, "token")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(token_file, 0o600)
        self.log = []
        self.port = None
        self.proc = subprocess.Popen(
            [ARGS.taskqueued, "--state-dir", self.state_dir, "--plugin-dir", self.plugin_dir,
             "--http", "127.0.0.1:0", "--http-token-file", token_file],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        found = threading.Event()

        def read():
            for line in self.proc.stderr:
                self.log.append(line)
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
                if m and not found.is_set():
                    self.port = int(m.group(1))
                    found.set()
        threading.Thread(target=read, daemon=True).start()
        if not found.wait(30):
            self.stop()
            raise RuntimeError("taskqueued did not report its HTTP port:\n" + "".join(self.log))

    def ctl(self, *args):
        return subprocess.run(
            [ARGS.taskqueuectl, "--state-dir", self.state_dir, "--plugin-dir", self.plugin_dir,
             *args], check=True, capture_output=True, text=True, timeout=30).stdout

    def api(self, path):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path),
                                     headers={"Authorization": "Bearer " + TOKEN})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class DashboardTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tq-browser-")
        self.daemon = Daemon(self.tmp)
        options = webdriver.ChromeOptions()
        options.binary_location = ARGS.chromium
        for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--window-size=1440,900",
                     "--user-data-dir=" + os.path.join(self.tmp, "chromium")]:
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(ARGS.chromedriver), options=options)
        self.wait = WebDriverWait(self.driver, 30, poll_frequency=0.1)

    def tearDown(self):
        try:
            self.driver.quit()
        finally:
            self.daemon.stop()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def click(self, css):
        """Clicks the element `css` names, again if the page redrew it meanwhile (the
        list redraws on live events). Returns its data-id."""
        def attempt(d):
            try:
                node = d.find_element(By.CSS_SELECTOR, css)
                data_id = node.get_attribute("data-id") or "clicked"
                node.click()
                return data_id
            except (StaleElementReferenceException, NoSuchElementException,
                    ElementClickInterceptedException):
                return False
        return self.wait.until(attempt, "cannot click " + css)

    def count(self, state):
        return self.driver.find_element(By.ID, "count-" + state).text

    def wait_count(self, state, value):
        self.wait.until(lambda d: self.count(state) == str(value),
                        "count-%s never became %s (is %s)" % (state, value, self.count(state)))

    def test_dashboard(self):
        d = self.driver
        d.get("http://127.0.0.1:%d/" % self.daemon.port)

        # Sign in: the page asks for the token, then goes live.
        self.wait.until(EC.visibility_of_element_located((By.ID, "login-token")))
        d.find_element(By.ID, "login-token").send_keys(TOKEN)
        d.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
        self.wait.until(lambda d: "live" in d.find_element(By.ID, "conn").get_attribute("class"))
        self.wait_count("all", 0)

        # Counts follow the event stream: queue while paused, then resume.
        self.daemon.ctl("pause")
        self.wait.until(lambda d: d.find_element(By.ID, "paused-badge").is_displayed())
        self.daemon.ctl("queue", "work 1", "work 2", "work 3")
        self.wait_count("waiting", 3)
        self.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#task-rows tr")) == 3)
        self.daemon.ctl("resume")
        self.wait_count("complete", 3)
        self.wait_count("waiting", 0)
        self.assertFalse(d.find_element(By.ID, "paused-badge").is_displayed())

        # A failing task shows up in Failed; open it and read why.
        self.daemon.ctl("queue", "breaks now")
        self.wait_count("failed", 1)
        self.click("#states a[data-state=failed]")
        task_id = int(self.click("#task-rows tr[data-state=failed]"))
        detail = self.wait.until(EC.visibility_of_element_located((By.ID, "detail")))
        self.wait.until(lambda d: detail.get_attribute("data-id") == str(task_id))
        self.assertIn("breaks", d.find_element(By.ID, "detail-title").text)
        self.wait.until(lambda d: "disk on fire" in
                        d.find_element(By.ID, "detail-body").text)

        # Retry it from the page: it runs again (and fails again).
        before = self.daemon.api("/api/v1/events?since=0")["last_id"]
        self.assertTrue(d.find_element(By.ID, "btn-retry").is_enabled())
        self.click("#btn-retry")
        self.wait.until(lambda d: any(
            e["type"] == "retry" and e["task_id"] == task_id
            for e in self.daemon.api("/api/v1/events?since=%d" % before)["events"]))
        self.wait.until(lambda d: any(
            e["type"] in ("failed", "complete") and e["task_id"] == task_id
            for e in self.daemon.api("/api/v1/events?since=%d" % before)["events"]))
        self.wait_count("failed", 1)
        self.wait.until(lambda d: d.find_element(By.ID, "detail").get_attribute("data-state")
                        == "failed")
        task = self.daemon.api("/api/v1/tasks/%d" % task_id)
        self.assertEqual(task["state"], "failed")

        # Keyboard: "1" shows every task; "/" searches.
        d.find_element(By.TAG_NAME, "body").send_keys("1")
        self.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#task-rows tr")) == 4)
        d.find_element(By.TAG_NAME, "body").send_keys("/")
        d.switch_to.active_element.send_keys("breaks\n")
        self.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#task-rows tr")) == 1)
        d.switch_to.active_element.send_keys("\ue00c")  # Esc: leave the search box
        d.find_element(By.TAG_NAME, "body").send_keys("\ue00c")

        os.makedirs(ARGS.artifacts, exist_ok=True)
        path = os.path.join(ARGS.artifacts, "dashboard.png")
        self.click("#states a[data-state=all]")
        self.click("#task-rows tr[data-id='%d']" % task_id)
        self.wait.until(lambda d: "disk on fire" in d.find_element(By.ID, "detail-body").text)
        self.assertTrue(d.save_screenshot(path))
        print("screenshot:", path)
        # The only expected console error is the 401 that made the page ask
        # for the token.
        logs = [e["message"] for e in d.get_log("browser")
                if e["level"] == "SEVERE" and "status of 401" not in e["message"]]
        self.assertEqual(logs, [], "errors in the browser console")


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--taskqueued", required=True)
    parser.add_argument("--taskqueuectl", required=True)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--chromedriver", default=shutil.which("chromedriver") or "chromedriver")
    parser.add_argument("--artifacts", default=os.path.join(os.getcwd(), "artifacts"))
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
