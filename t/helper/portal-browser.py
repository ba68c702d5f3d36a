#!/usr/bin/python3
# portal-browser.py URL CODE WANT: a real browser (headless Chromium
# through chromedriver and selenium) opens URL, expects the captive
# portal's login page, types CODE, submits, and waits until the page
# WANT (a URL) has loaded.  Prints "login-page URL", then "landed URL
# MS" (milliseconds from the click to the page's load) and the text of
# its <p id=where>.  Exit status 1 when a step fails.
#
# SPDX-License-Identifier: GPL-2.0-or-later
import shutil
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

url, code, want = sys.argv[1:4]
profile = tempfile.mkdtemp(prefix="portal-browser-")
opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
          "--no-first-run", "--disable-background-networking",
          "--disable-component-update", "--disable-sync",
          "--disable-dev-shm-usage", "--user-data-dir=" + profile):
    opts.add_argument(a)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                          options=opts)
driver.set_page_load_timeout(20)
try:
    driver.get(url)
    WebDriverWait(driver, 10).until(
        lambda d: d.find_elements(By.NAME, "code"))
    print("login-page", driver.current_url)
    box = driver.find_element(By.NAME, "code")
    box.send_keys(code)
    t0 = time.monotonic()
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 10, poll_frequency=0.01).until(
        lambda d: d.current_url == want and
        d.execute_script("return document.readyState") == "complete" and
        d.find_elements(By.ID, "where"))
    ms = (time.monotonic() - t0) * 1000
    print("landed %s %d" % (driver.current_url, ms))
    print(driver.find_element(By.ID, "where").text)
except Exception as e:
    print("failed: %s at %s" % (type(e).__name__, driver.current_url))
    print(driver.page_source[:2000])
    sys.exit(1)
finally:
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
