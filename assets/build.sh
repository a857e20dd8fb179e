#!/bin/sh
# Installs the browser assets (GraphiQL; lightweight-charts for the trading page and
# the operator dashboards) from package-lock.json and copies the files the pages use
# into assets/dist/, which Django serves as static files (settings.STATICFILES_DIRS).
# Used by `make assets` and by deploy/Dockerfile's assets stage.
set -eu
cd "$(dirname "$0")"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
rm -rf dist
mkdir -p dist/graphiql dist/charts
cd node_modules
cp graphiql/graphiql.min.css graphiql/graphiql.min.js \
  @graphiql/plugin-explorer/dist/graphiql-plugin-explorer.umd.js \
  react/umd/react.production.min.js react-dom/umd/react-dom.production.min.js \
  graphql-ws/umd/graphql-ws.min.js whatwg-fetch/dist/fetch.umd.js \
  ../dist/graphiql/
cp @graphiql/plugin-explorer/dist/style.css ../dist/graphiql/plugin-explorer.css
cp lightweight-charts/dist/lightweight-charts.standalone.production.js ../dist/charts/
touch ../dist/.installed
