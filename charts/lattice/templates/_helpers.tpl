{{/* The operator image: image.repository:image.tag (default appVersion). */}}
{{- define "lattice.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
